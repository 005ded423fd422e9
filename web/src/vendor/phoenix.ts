// Vendor entry: the phoenix client, for plugins opening their own channels.
export * from "phoenix";
