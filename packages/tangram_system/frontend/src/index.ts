import { definePlugin } from "@tangram/api";
import SystemWidget from "./SystemWidget.vue";

export default definePlugin((api) => {
  api.ui.registerWidget("system-info", "TopBar", SystemWidget);
});
