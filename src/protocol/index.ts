export * from './config';
export * from './guards';
export * from './runRecord';
export * from './scan';
export * from './trainerMessages';
export * from './runSchema';
export * from './displayText';
export * from './detection';
