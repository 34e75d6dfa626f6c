export * from './config';
export * from './guards';
export * from './runRecord';
export * from './scan';
export * from './trainerMessages';
