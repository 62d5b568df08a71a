// The digest says whether a configuration changed without revealing any secret: it covers the
// rendered configuration with each secret's value replaced by its reference.
import { describe, expect, it } from "@jest/globals";
import { contentDigest } from "../../src/config/canonical.js";
import { layerEnvironment } from "../../src/config/layering.js";
import type { VariableLookup } from "../../src/config/references.js";
import { renderConfig } from "../../src/config/render.js";
import { parseYamlSource } from "../../src/config/yaml-source.js";

const environment = (yaml: string) =>
  layerEnvironment({ name: "prod", layers: [parseYamlSource("prod.yml", yaml)] });

const YAML =
  "config:\n  url: postgres://app:${secret:PIN}@${env:HOST}/shop\n  pin: ${secret:PIN}\n" +
  "  port: 5432\n  literal: 'echo $${secret:PIN}'\n";

const lookup =
  (values: Record<string, string>): VariableLookup =>
  (name) =>
    values[name];

describe("the config digest", () => {
  it("is sha256 over the canonical JSON, each secret's value replaced by its reference", () => {
    const rendered = renderConfig(environment(YAML), lookup({ PIN: "4821", HOST: "db" }));
    expect(rendered.config.pin).toBe("4821");
    expect(rendered.digest).toBe(
      contentDigest({
        url: "postgres://app:${secret:PIN}@db/shop",
        pin: "${secret:PIN}",
        port: 5432,
        literal: "echo $${secret:PIN}",
      }),
    );
  });

  it("cannot be brute-forced into a secret: every value of a 4-digit secret gives the same digest", () => {
    const digests = new Set(
      ["0000", "4821", "9999"].map(
        (pin) => renderConfig(environment(YAML), lookup({ PIN: pin, HOST: "db" })).digest,
      ),
    );
    expect(digests.size).toBe(1);
    const digest = [...digests][0];
    const guesses = Array.from({ length: 10_000 }, (_, pin) => String(pin).padStart(4, "0"));
    const found = guesses.find(
      (guess) =>
        contentDigest({
          url: `postgres://app:${guess}@db/shop`,
          pin: guess,
          port: 5432,
          literal: "echo ${secret:PIN}",
        }) === digest,
    );
    expect(found).toBeUndefined();
  });

  it("changes with every value that is not a secret, and with the secret's name", () => {
    const base = renderConfig(environment(YAML), lookup({ PIN: "1", HOST: "db" })).digest;
    const host = renderConfig(environment(YAML), lookup({ PIN: "1", HOST: "db2" })).digest;
    const renamed = renderConfig(
      environment(YAML.replace("pin: ${secret:PIN}", "pin: ${secret:PIN2}")),
      lookup({ PIN: "1", PIN2: "1", HOST: "db" }),
    ).digest;
    const port = renderConfig(
      environment(YAML.replace("5432", "5433")),
      lookup({ PIN: "1", HOST: "db" }),
    ).digest;
    expect(new Set([base, host, renamed, port]).size).toBe(4);
  });

  it("tells a literal $${secret:NAME} from a reference", () => {
    const literal = renderConfig(environment("config:\n  a: $${secret:PIN}\n"), lookup({}));
    const reference = renderConfig(
      environment("config:\n  a: ${secret:PIN}\n"),
      lookup({ PIN: "x" }),
    );
    expect(literal.config.a).toBe("${secret:PIN}");
    expect(literal.digest).not.toBe(reference.digest);
  });

  it("is the same for a render with unset secrets redacted (pull requests from forks)", () => {
    const real = renderConfig(environment(YAML), lookup({ PIN: "4821", HOST: "db" }));
    const redacted = renderConfig(environment(YAML), lookup({ HOST: "db" }), undefined, {
      unsetSecrets: "redact",
    });
    expect(redacted.config.pin).toBe("***");
    expect(redacted.digest).toBe(real.digest);
  });
});
