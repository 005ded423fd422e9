/**
 * The vessel icon: a hull seen from above (pointed bow, square stern), drawn on a canvas
 * at start-up and added as an SDF image so the layer colours it by ship type. Its shape
 * and the white outline tell it from the aircraft silhouettes at a glance. Bow north:
 * the layer rotates it by heading, else course.
 */
import type { Map as MaplibreMap } from "maplibre-gl";

export const ICON = "ship162-vessel-icon";
const SIZE = 48;

function draw(): ImageData {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = SIZE;
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = "#000";
  ctx.beginPath();
  ctx.moveTo(24, 4); // bow
  ctx.quadraticCurveTo(34, 16, 33, 28);
  ctx.lineTo(32, 44); // starboard quarter
  ctx.lineTo(16, 44); // square stern
  ctx.lineTo(15, 28);
  ctx.quadraticCurveTo(14, 16, 24, 4);
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
