/**
 * Text labels for the offline base map, which has no glyphs (fonts) to draw `text-field`
 * with. Labels are symbol icons instead, whose image id carries the text:
 * `tg-label/<theme>/<kind>/<text>`. MapLibre asks for each missing image once
 * (`styleimagemissing`), and it is drawn on a canvas with the system font.
 */
import type { Map as MaplibreMap } from "maplibre-gl";

export const LABEL_PREFIX = "tg-label/";
/** Longest label drawn (characters); longer names are cut with an ellipsis. */
const MAX_CHARS = 40;

const STYLES = {
  light: { city: "#3b4046", airport: "#7a3e9d", halo: "rgba(255,255,255,0.9)" },
  dark: { city: "#c9d1d9", airport: "#c8a2e8", halo: "rgba(16,21,26,0.9)" },
} as const;

/** The image id of a label: used in the offline style's `icon-image` expressions. */
export function labelImage(theme: "light" | "dark", kind: "city" | "airport", text: unknown[]): unknown[] {
  return ["concat", `${LABEL_PREFIX}${theme}/${kind}/`, ...text];
}

function draw(id: string): { width: number; height: number; data: Uint8ClampedArray } | null {
  const [theme, kind, ...rest] = id.slice(LABEL_PREFIX.length).split("/");
  const palette = STYLES[theme as keyof typeof STYLES];
  if (!palette || (kind !== "city" && kind !== "airport")) return null;
  let text = rest.join("/");
  if (text.length > MAX_CHARS) text = `${text.slice(0, MAX_CHARS - 1)}…`;
  const ratio = 2;
  const font = kind === "city" ? `600 ${12 * ratio}px system-ui, sans-serif` : `${11 * ratio}px system-ui, sans-serif`;
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.font = font;
  const width = Math.ceil(ctx.measureText(text).width) + 6 * ratio;
  const height = 16 * ratio;
  canvas.width = width;
  canvas.height = height;
  ctx.font = font;
  ctx.textBaseline = "middle";
  ctx.lineJoin = "round";
  ctx.lineWidth = 3 * ratio;
  ctx.strokeStyle = palette.halo;
  ctx.strokeText(text, 3 * ratio, height / 2);
  ctx.fillStyle = palette[kind];
  ctx.fillText(text, 3 * ratio, height / 2);
  return { width, height, data: ctx.getImageData(0, 0, width, height).data };
}

export function installLabels(map: MaplibreMap): void {
  map.on("styleimagemissing", (event: { id: string }) => {
    if (!event.id.startsWith(LABEL_PREFIX) || map.hasImage(event.id)) return;
    const image = draw(event.id);
    if (image) map.addImage(event.id, image, { pixelRatio: 2 });
  });
}
