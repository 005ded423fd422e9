import type { TangramApi } from "@tangram/api";
import ExampleWidget from "./ExampleWidget.vue";

export default function install(api: TangramApi): void {
  api.ui.registerWidget("example-widget", "SideBar", ExampleWidget);
}
