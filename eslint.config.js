// Lint rules: typescript-eslint's recommended set over sources, tests and scripts, prettier for layout,
// and limits on line and function length.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["actions/*/dist/**", "node_modules/**", "coverage/**", ".tmp/**", ".lab/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-template-curly-in-string": "off",
    },
  },
  {
    // Lines fit a review pane; prettier wraps code at 100, this catches long strings and comments.
    files: ["**/*.ts", "**/*.js", "**/*.mjs"],
    rules: { "max-len": ["error", { code: 120, tabWidth: 2 }] },
  },
  {
    // Functions read top to bottom on one screen; tests are tables and scenarios, exempt.
    files: ["src/**/*.ts", "tools/**/*.ts", "scripts/**/*.{ts,mjs}", "lab/**/*.mjs"],
    rules: { "max-lines-per-function": ["error", { max: 80 }] },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { module: "writable", require: "readonly" },
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
      },
    },
  },
);
