/** Why a plan is over --max-bytes, and how to narrow it: shown by the CLI and the UI alike. */
import type { Plan } from './plan';

export const DEFAULT_MAX_BYTES = 4 * 1024 ** 3;

function human(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function refusal(plan: Plan, maxBytes: number): string | null {
  if (plan.totalBytes <= maxBytes) return null;
  const big = plan.instances.toSorted((a, b) => b.bytes - a.bytes).filter((i) => i.bytes > 0).slice(0, 3);
  const lines = [`The plan needs about ${human(plan.totalBytes)}, over the limit of ${human(maxBytes)} (--max-bytes).`];
  for (const i of big) lines.push(`  ${i.name} (${i.type}, ${i.scope}): ~${human(i.bytes)} for ${i.units.toLocaleString('en-US')} items`);
  const top = big[0];
  if (top) {
    const hint =
      top.type === 'labelmap'
        ? `${top.name}=roi:NAME,…, ${top.name}=bbox:x0,y0,z0-x1,y1,z1, ${top.name}=bodies:@ids.txt, or fewer ;scales=`
        : top.type === 'keyvalue'
          ? `${top.name}=keys:A..B or ${top.name}=bodies:@ids.txt`
          : top.type === 'labelsz'
            ? `${top.name}=top:N`
            : `${top.name}=roi:NAME,…, ${top.name}=bbox:… or ${top.name}=bodies:@ids.txt`;
    lines.push(`Narrow it with --instance ${hint}; leave instances out by naming only those you want; or raise --max-bytes (e.g. ${human(plan.totalBytes * 1.2).replace(/\s/g, '')}).`);
  }
  return lines.join('\n');
}
