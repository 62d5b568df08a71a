// Module hook: lets Node 20 import the JSON files @actions/languageservice imports without an
// import attribute.
export async function load(url, context, next) {
  return url.endsWith(".json")
    ? next(url, { ...context, importAttributes: { ...context.importAttributes, type: "json" } })
    : next(url, context);
}
