export const id = 484;
export const ids = [484];
export const modules = {

/***/ 484:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   compileConfigSchema: () => (/* binding */ compileConfigSchema)
/* harmony export */ });
/* harmony import */ var ajv__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(2463);
/* harmony import */ var ajv__WEBPACK_IMPORTED_MODULE_2___default = /*#__PURE__*/__webpack_require__.n(ajv__WEBPACK_IMPORTED_MODULE_2__);
/* harmony import */ var ajv_dist_2020_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(2210);
/* harmony import */ var ajv_dist_2020_js__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(ajv_dist_2020_js__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var ajv_formats__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2815);
/* harmony import */ var ajv_formats__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(ajv_formats__WEBPACK_IMPORTED_MODULE_0__);
// Validation of a rendered configuration against the user's environments/config.schema.json.



// ajv-formats is CommonJS with a default export; under NodeNext its namespace arrives as the default.
const addFormats = (ajv_formats__WEBPACK_IMPORTED_MODULE_0___default());
function pointerToPath(pointer) {
    if (pointer === "")
        return [];
    return pointer
        .slice(1)
        .split("/")
        .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
        .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}
function describe(error) {
    const path = pointerToPath(error.instancePath);
    const params = error.params;
    if (error.keyword === "required") {
        return {
            path: [...path, String(params.missingProperty)],
            message: "is required by config.schema.json but missing",
        };
    }
    if (error.keyword === "additionalProperties") {
        return {
            path: [...path, String(params.additionalProperty)],
            message: "is not allowed by config.schema.json (additionalProperties is false)",
        };
    }
    const allowed = error.keyword === "enum"
        ? `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`
        : "";
    return { path, message: `${error.message ?? "is invalid"}${allowed}` };
}
/**
 * Compiles a JSON Schema (draft-07, or 2020-12 when its `$schema` says so) with the standard
 * formats. An invalid schema is a problem for the schema file, reported by the caller.
 */
function compileConfigSchema(schema) {
    const declared = typeof schema === "object" && schema !== null
        ? String(schema.$schema ?? "")
        : "";
    const ajv = declared.includes("2020-12")
        ? new ajv_dist_2020_js__WEBPACK_IMPORTED_MODULE_1__.Ajv2020({ allErrors: true, strict: false })
        : new ajv__WEBPACK_IMPORTED_MODULE_2__.Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    try {
        const check = ajv.compile(schema);
        return {
            validate: (config) => (check(config) ? [] : (check.errors ?? []).map(describe)),
        };
    }
    catch (error) {
        return { problem: { message: `is not a valid JSON Schema: ${error.message}` } };
    }
}


/***/ })

};
