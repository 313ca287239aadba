/** @file Formatting shared by the CLI and the web app (no platform imports, so browsers can bundle it). */

/** Seconds as m:ss, or XhYYm past an hour; '--:--' when unknown. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--:--';
  const s = Math.round(sec), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}:${String(r).padStart(2, '0')}`;
}
