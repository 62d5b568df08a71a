// A simulated run's samples as OpenMetrics text with timestamps, the input of
// `promtool tsdb create-blocks-from openmetrics`: the same data loaded into a real Prometheus, so
// that the simulator's answers can be checked against Prometheus's own.
import type { SeriesStore } from "./store.js";

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** Every series of `store` (untyped families, samples in time order), ending with `# EOF`. */
export function toOpenMetrics(store: SeriesStore): string {
  const byName = new Map<string, string[]>();
  for (const series of store.all()) {
    const { __name__: name = "", ...labels } = series.labels;
    const rendered = Object.entries(labels)
      .map(([label, value]) => `${label}="${escapeLabel(value)}"`)
      .join(",");
    const lines = byName.get(name) ?? [];
    series.times.forEach((time, index) =>
      lines.push(`${name}{${rendered}} ${series.values[index]} ${(time / 1000).toFixed(3)}`),
    );
    byName.set(name, lines);
  }
  return `${[...byName.values()].flat().join("\n")}\n# EOF\n`;
}
