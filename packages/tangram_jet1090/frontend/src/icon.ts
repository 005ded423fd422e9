/**
 * The aircraft icon, drawn on a canvas at start-up (no image file to serve), pointing
 * north (the layer rotates it by track). It is a mask for the icon layer: the red
 * channel is the silhouette, the green one the silhouette with a halo around it, so
 * that the layer colours both (theme, selection).
 */

/** Side of the texture (a power of two, for mipmaps) and of the icon drawn, in pixels. */
export const ICON_SIZE = 64;
/** Width of the halo around the silhouette, in texture pixels. */
const HALO = 3.5;

function silhouette(ctx: CanvasRenderingContext2D): void {
  const s = ICON_SIZE / 48;
  const points = [
    // fuselage, wings and tail of a simple airliner silhouette (on a 48-pixel grid)
    [24, 3], [27, 9], [27, 19], [44, 29], [44, 33], [27, 28], [26.5, 38], [32, 42], [32, 45],
    [24, 43], [16, 45], [16, 42], [21.5, 38], [21, 28], [4, 33], [4, 29], [21, 19], [21, 9],
  ];
  ctx.beginPath();
  points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x * s, y * s) : ctx.lineTo(x * s, y * s)));
  ctx.closePath();
}

function alphaOf(draw: (ctx: CanvasRenderingContext2D) => void): Uint8ClampedArray {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = ICON_SIZE;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("no 2D canvas context to draw the aircraft icon");
  ctx.fillStyle = ctx.strokeStyle = "#000";
  ctx.lineJoin = "round";
  draw(ctx);
  return ctx.getImageData(0, 0, ICON_SIZE, ICON_SIZE).data;
}

/** Red: the silhouette's coverage; green: the silhouette and its halo; alpha: opaque. */
export function iconMask(): ImageData {
  const fill = alphaOf((ctx) => {
    silhouette(ctx);
    ctx.fill();
  });
  const halo = alphaOf((ctx) => {
    silhouette(ctx);
    ctx.lineWidth = 2 * HALO;
    ctx.stroke();
    ctx.fill();
  });
  const mask = new ImageData(ICON_SIZE, ICON_SIZE);
  for (let i = 0; i < mask.data.length; i += 4) {
    mask.data[i] = fill[i + 3];
    mask.data[i + 1] = halo[i + 3];
    mask.data[i + 3] = 255;
  }
  return mask;
}
