/** Plugin-wide reactive state shared by the map layer and the widgets. */
import { reactive } from "vue";
import type { TrailColouring } from "./trail";

export const counts = reactive({
  /** Aircraft streamed for this view (the selected one included). */
  visible: 0,
  /** Aircraft the backend knows. */
  total: 0,
  /** Time the last frame arrived (ms), 0 before the first. */
  lastFrame: 0,
});

/** How trails are coloured (from the plugin's frontend config), for the legend. */
export const legend = reactive<{ colouring: TrailColouring }>({ colouring: { by: "altitude" } });
