// Vendor entry: the single Vue runtime shared by the shell and all plugins.
export * from "vue";
