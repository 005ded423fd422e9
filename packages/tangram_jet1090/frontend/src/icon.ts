/**
 * The aircraft icon: a simple airliner silhouette pointing north (the layer rotates it
 * by track), as an `iconMask` so that the layer colours it and its halo.
 */
import { iconMask } from "@tangram/api";

/** Width of the halo around the silhouette, in mask pixels. */
const HALO = 3.5;

// fuselage, wings and tail, on a 48-pixel grid
const OUTLINE = [
  [24, 3], [27, 9], [27, 19], [44, 29], [44, 33], [27, 28], [26.5, 38], [32, 42], [32, 45],
  [24, 43], [16, 45], [16, 42], [21.5, 38], [21, 28], [4, 33], [4, 29], [21, 19], [21, 9],
];

export function aircraftIcon(): ImageData {
  return iconMask((ctx, s) => {
    ctx.beginPath();
    OUTLINE.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x * s, y * s) : ctx.lineTo(x * s, y * s)));
    ctx.closePath();
  }, HALO);
}
