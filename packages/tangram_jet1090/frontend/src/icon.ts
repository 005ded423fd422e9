/**
 * The aircraft icon, drawn on a canvas at start-up (no image file to serve) and added as
 * an SDF image so that the layer can colour it (selected aircraft stand out). Pointing
 * north: the layer rotates it by `track`.
 */
import type { Map as MaplibreMap } from "maplibre-gl";

export const ICON = "jet1090-aircraft-icon";
const SIZE = 48;

function draw(): ImageData {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = SIZE;
  const ctx = canvas.getContext("2d")!;
  const s = SIZE / 48;
  ctx.fillStyle = "#000";
  ctx.beginPath();
  // fuselage, wings and tail of a simple airliner silhouette
  ctx.moveTo(24 * s, 3 * s);
  ctx.lineTo(27 * s, 9 * s);
  ctx.lineTo(27 * s, 19 * s);
  ctx.lineTo(44 * s, 29 * s);
  ctx.lineTo(44 * s, 33 * s);
  ctx.lineTo(27 * s, 28 * s);
  ctx.lineTo(26.5 * s, 38 * s);
  ctx.lineTo(32 * s, 42 * s);
  ctx.lineTo(32 * s, 45 * s);
  ctx.lineTo(24 * s, 43 * s);
  ctx.lineTo(16 * s, 45 * s);
  ctx.lineTo(16 * s, 42 * s);
  ctx.lineTo(21.5 * s, 38 * s);
  ctx.lineTo(21 * s, 28 * s);
  ctx.lineTo(4 * s, 33 * s);
  ctx.lineTo(4 * s, 29 * s);
  ctx.lineTo(21 * s, 19 * s);
  ctx.lineTo(21 * s, 9 * s);
  ctx.closePath();
  ctx.fill();
  return ctx.getImageData(0, 0, SIZE, SIZE);
}

/** Add the icon now and again whenever a base-map style switch drops it. */
export function installIcon(map: MaplibreMap): () => void {
  const image = draw();
  const add = (): void => {
    if (!map.hasImage(ICON)) map.addImage(ICON, image, { sdf: true, pixelRatio: 2 });
  };
  const onMissing = (event: { id: string }): void => {
    if (event.id === ICON) add();
  };
  add();
  map.on("styleimagemissing", onMissing);
  return () => map.off("styleimagemissing", onMissing);
}
