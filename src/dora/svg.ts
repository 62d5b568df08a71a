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

/** Where the plot sits in the chart, and how a value maps to a height in it. */
interface Layout {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
  /** The value at the top of the axis. */
  top: number;
  /** The width each label has, and the bar inside it. */
  slot: number;
  barWidth: number;
  y: (value: number) => number;
}

const MUTED_TEXT = { "font-size": 11, fill: "#57606a" };

/** One element; attribute values are written as given, so text in them must be escaped first. */
function element(
  name: string,
  attributes: Record<string, string | number>,
  content?: string,
): string {
  const written = Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${value}"`)
    .join("");
  return content === undefined ? `<${name}${written}/>` : `<${name}${written}>${content}</${name}>`;
}

export function barChart(options: BarChartOptions): string {
  const layout = chartLayout(options);
  const { width, height, margin } = layout;
  const title = element(
    "text",
    { x: margin.left, y: 16, "font-size": 13, "font-weight": 600, fill: "#24292f" },
    escapeXml(options.title),
  );
  const content = [
    title,
    ...gridLines(layout),
    ...options.labels.flatMap((label, index) => labelColumn(options, layout, label, index)),
    ...(options.series.length > 1 ? legend(options.series, layout) : []),
  ];
  return element(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      class: "chart",
      role: "img",
      "aria-label": escapeXml(options.title),
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
    },
    content.join(""),
  );
}

function chartLayout(options: BarChartOptions): Layout {
  const width = options.width ?? 580;
  const height = options.height ?? 240;
  const margin = { top: 28, right: 12, bottom: 44, left: 44 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const totals = options.labels.map((_, index) =>
    options.series.reduce((sum, series) => sum + (series.values[index] ?? 0), 0),
  );
  const top = niceMax(Math.max(0, ...totals));
  const slot = plotWidth / Math.max(1, options.labels.length);
  return {
    width,
    height,
    margin,
    top,
    slot,
    barWidth: Math.max(2, slot * 0.7),
    y: (value: number) => margin.top + plotHeight - (value / top) * plotHeight,
  };
}

/** Horizontal lines at 0, half and the top of the axis, each with its value. */
function gridLines({ width, margin, top, y }: Layout): string[] {
  return [0, 0.5, 1].flatMap((fraction) => {
    const value = top * fraction;
    const at = y(value).toFixed(1);
    return [
      element("line", {
        x1: margin.left,
        x2: width - margin.right,
        y1: at,
        y2: at,
        stroke: "#d0d7de",
        "stroke-width": 1,
      }),
      element(
        "text",
        { x: margin.left - 6, y: (y(value) + 4).toFixed(1), "text-anchor": "end", ...MUTED_TEXT },
        format(value),
      ),
    ];
  });
}

/** One label's stacked bar and, for every n-th label so that at most 12 show, its name below. */
function labelColumn(
  options: BarChartOptions,
  { height, margin, slot, barWidth, y }: Layout,
  label: string,
  index: number,
): string[] {
  const parts: string[] = [];
  let base = 0;
  const x = margin.left + index * slot + (slot - barWidth) / 2;
  for (const series of options.series) {
    const value = series.values[index] ?? 0;
    if (value > 0) {
      const unit = options.unit ? ` ${options.unit}` : "";
      const tooltip = `${label}: ${format(value)}${unit} ${series.name}`;
      const bar = {
        class: "bar",
        x: x.toFixed(1),
        y: y(base + value).toFixed(1),
        width: barWidth.toFixed(1),
        height: (y(base) - y(base + value)).toFixed(1),
        fill: series.color,
      };
      parts.push(element("rect", bar, element("title", {}, escapeXml(tooltip))));
    }
    base += value;
  }
  const every = Math.ceil(options.labels.length / 12);
  if (index % every === 0) {
    const at = { x: (x + barWidth / 2).toFixed(1), y: height - margin.bottom + 16 };
    parts.push(
      element("text", { ...at, "text-anchor": "middle", ...MUTED_TEXT }, escapeXml(label)),
    );
  }
  return parts;
}

function legend(series: readonly BarSeries[], { height, margin }: Layout): string[] {
  return series.map((item, index) => {
    const x = margin.left + index * 110;
    const swatch = { x, y: height - 16, width: 10, height: 10, fill: item.color };
    const name = { x: x + 14, y: height - 7, "font-size": 11, fill: "#24292f" };
    return element("rect", swatch) + element("text", name, escapeXml(item.name));
  });
}
