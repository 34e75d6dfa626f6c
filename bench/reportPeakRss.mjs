// Preloaded into a benchmarked child (`node --import ./bench/reportPeakRss.mjs …`): at exit it writes the
// process's peak RSS (Linux VmHWM, in bytes) to $REPORT_PEAK_RSS_FILE, which the parent reads.
import { readFileSync, writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.REPORT_PEAK_RSS_FILE;
  if (!file) return;
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(file, String(match ? Number(match[1]) * 1024 : process.resourceUsage().maxRSS * 1024));
  } catch {
    // The measurement is best effort; the bench prints 0 when it is missing.
  }
});
