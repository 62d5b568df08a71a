// Bar charts as inline SVG text, drawn when the report is built: no script, no fonts, no fetches.

export interface BarSeries {
  name: string;
  color: string;
  values: readonly number[];
}

export interface BarChartOptions {
  title: string;
  labels: readonly string[];
  /** Stacked, bottom first. */
  series: readonly BarSeries[];
  unit?: string;
  width?: number;
  height?: number;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A 'nice' axis top: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((step) => step * power).find((top) => top >= max) ?? 10 * power;
}

const format = (value: number): string =>
  Number.isInteger(value) ? String(value) : value.toFixed(1);

export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 580;
  const height = options.height ?? 240;
  const margin = { top: 28, right: 12, bottom: 44, left: 44 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const totals = options.labels.map((_, index) =>
    options.series.reduce((sum, series) => sum + (series.values[index] ?? 0), 0),
  );
  const top = niceMax(Math.max(0, ...totals));
  const y = (value: number) => margin.top + plotHeight - (value / top) * plotHeight;
  const slot = plotWidth / Math.max(1, options.labels.length);
  const barWidth = Math.max(2, slot * 0.7);
  const parts: string[] = [];
  for (const fraction of [0, 0.5, 1]) {
    const value = top * fraction;
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#d0d7de" stroke-width="1"/>`,
    );
    parts.push(
      `<text x="${margin.left - 6}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#57606a">${format(value)}</text>`,
    );
  }
  options.labels.forEach((label, index) => {
    let base = 0;
    const x = margin.left + index * slot + (slot - barWidth) / 2;
    for (const series of options.series) {
      const value = series.values[index] ?? 0;
      if (value > 0) {
        parts.push(
          `<rect class="bar" x="${x.toFixed(1)}" y="${y(base + value).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(y(base) - y(base + value)).toFixed(1)}" fill="${series.color}"><title>${escapeXml(`${label}: ${format(value)}${options.unit ? ` ${options.unit}` : ""} ${series.name}`)}</title></rect>`,
        );
      }
      base += value;
    }
    const every = Math.ceil(options.labels.length / 12);
    if (index % every === 0) {
      parts.push(
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - margin.bottom + 16}" text-anchor="middle" font-size="11" fill="#57606a">${escapeXml(label)}</text>`,
      );
    }
  });
  const legend = options.series.map(
    (series, index) =>
      `<rect x="${margin.left + index * 110}" y="${height - 16}" width="10" height="10" fill="${series.color}"/><text x="${margin.left + index * 110 + 14}" y="${height - 7}" font-size="11" fill="#24292f">${escapeXml(series.name)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeXml(options.title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<text x="${margin.left}" y="16" font-size="13" font-weight="600" fill="#24292f">${escapeXml(options.title)}</text>`,
    ...parts,
    ...(options.series.length > 1 ? legend : []),
    "</svg>",
  ].join("");
}
