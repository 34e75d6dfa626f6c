// The `engine` command's usage and help lines, apart from its code: the CLI lists them without loading
// tfjs (loading the WASM backend's registration changes tfjs' default backend for everything after).
import type { FlagSpec } from '../../core/configFlags';
import { ENGINE_DIR_ENV } from './engineDirectory';

export const ENGINE_USAGE =
  'image-trainer engine status | engine install tensorflow|tensorflow-gpu [--engine-dir DIR] [--json]';

export const ENGINE_FLAGS: readonly FlagSpec[] = [
  {
    flag: '--engine-dir',
    value: 'DIR',
    help: 'the engine folder (a node_modules parent)',
    default: `$${ENGINE_DIR_ENV} or ~/.cache/image-trainer/engine`,
  },
  { flag: '--json', help: 'status: one JSON object; install: npm output and the verdict as JSON lines' },
];

export const ENGINE_HELP = [
  '  engine status            the backend training uses here, the devices it sees, and why a faster one',
  '                           was passed over (--json: {backend, devices, passedOver, packages, cuda, …})',
  '  engine install tensorflow|tensorflow-gpu   install the native engine matching this tfjs with your npm',
];
