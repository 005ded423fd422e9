/**
 * Icons for `IconLayer`, drawn on a canvas (no image file to serve): the red channel is
 * the shape, the green one the shape with a halo around it, so that the layer colours
 * both (per item, theme, selection).
 */

/** Side of the mask in pixels: a power of two, for mipmaps. */
export const MASK_SIZE = 64;

function alphaOf(draw: (ctx: CanvasRenderingContext2D) => void): Uint8ClampedArray {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = MASK_SIZE;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("no 2D canvas context to draw an icon");
  ctx.fillStyle = ctx.strokeStyle = "#000";
  ctx.lineJoin = "round";
  draw(ctx);
  return ctx.getImageData(0, 0, MASK_SIZE, MASK_SIZE).data;
}

/**
 * `path(ctx, scale)` traces the shape on a 48-pixel grid (multiply coordinates by
 * `scale`), pointing north; `halo` is the halo's width in mask pixels.
 */
export function iconMask(path: (ctx: CanvasRenderingContext2D, scale: number) => void, halo: number): ImageData {
  const scale = MASK_SIZE / 48;
  const fill = alphaOf((ctx) => {
    path(ctx, scale);
    ctx.fill();
  });
  const outlined = alphaOf((ctx) => {
    path(ctx, scale);
    ctx.lineWidth = 2 * halo;
    ctx.stroke();
    ctx.fill();
  });
  const mask = new ImageData(MASK_SIZE, MASK_SIZE);
  for (let i = 0; i < mask.data.length; i += 4) {
    mask.data[i] = fill[i + 3];
    mask.data[i + 1] = outlined[i + 3];
    mask.data[i + 3] = 255;
  }
  return mask;
}
