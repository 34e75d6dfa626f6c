// Whether a process is alive on this machine: how readers tell a crashed run (`interrupted`) and how the
// run lock tells a dead owner. Injected in tests.

export type ProcessProbe = (pid: number) => boolean;

export const probeProcess: ProcessProbe = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};
