/** Plugin-wide reactive state shared by the map layer and the widgets. */
import { reactive } from "vue";

export const counts = reactive({
  /** Ships streamed for this view (the selected one included). */
  visible: 0,
  /** Ships the backend knows. */
  total: 0,
  /** The backend plays the simulated demo scene (shown in the widgets). */
  simulated: false,
});
