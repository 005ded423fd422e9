/**
 * The vessel icon: a hull seen from above (pointed bow, square stern), bow north (the
 * layer rotates it by heading, else course), as an `iconMask` so that the layer colours
 * it by ship type. Its shape and the wider halo tell it from the aircraft at a glance.
 */
import { iconMask } from "@tangram/api";

/** Width of the halo around the hull, in mask pixels. */
const HALO = 5;

export function vesselIcon(): ImageData {
  return iconMask((ctx, s) => {
    ctx.beginPath();
    ctx.moveTo(24 * s, 4 * s); // bow
    ctx.quadraticCurveTo(34 * s, 16 * s, 33 * s, 28 * s);
    ctx.lineTo(32 * s, 44 * s); // starboard quarter
    ctx.lineTo(16 * s, 44 * s); // square stern
    ctx.lineTo(15 * s, 28 * s);
    ctx.quadraticCurveTo(14 * s, 16 * s, 24 * s, 4 * s);
    ctx.closePath();
  }, HALO);
}
