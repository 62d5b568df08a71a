// Keys exported as variables (export-env and dotenv) must not set a name that changes how later
// processes start: each refusal names the key, the variable and why.
import { describe, expect, it } from "@jest/globals";
import { toVariables } from "../../src/config/formats.js";
import { problemsOf } from "../support/configuration-error.js";

const refusal = (key: string): string =>
  problemsOf(() => toVariables([{ path: [key], value: "x" }], ["config"]))[0] ?? "";

describe("reserved variable names", () => {
  it.each([
    ["ldPreload", "LD_PRELOAD", "the dynamic loader"],
    ["ld_library_path", "LD_LIBRARY_PATH", "the dynamic loader"],
    ["dyldInsertLibraries", "DYLD_INSERT_LIBRARIES", "the dynamic loader"],
    ["bashEnv", "BASH_ENV", "shells in later steps run the file it names"],
    ["env", "ENV", "shells in later steps run the file it names"],
    ["nodeOptions", "NODE_OPTIONS", "Node.js reads it when it starts"],
    ["nodeExtraCaCerts", "NODE_EXTRA_CA_CERTS", "Node.js reads it when it starts"],
    ["nodeEnv", "NODE_ENV", "Node.js reads it when it starts"],
    ["path", "PATH", "which programs later steps run"],
    ["home", "HOME", "read their configuration"],
    ["shell", "SHELL", "to run commands"],
    ["ifs", "IFS", "split words"],
    ["ps4", "PS4", "can run commands"],
    ["promptCommand", "PROMPT_COMMAND", "runs it as a command"],
    ["tmpdir", "TMPDIR", "temporary files"],
    ["pythonpath", "PYTHONPATH", "Python"],
    ["pythonStartup", "PYTHON_STARTUP", "Python"],
    ["perl5opt", "PERL5OPT", "Perl"],
    ["rubyopt", "RUBYOPT", "Ruby"],
    ["javaToolOptions", "JAVA_TOOL_OPTIONS", "the Java VM"],
    ["jdkJavaOptions", "JDK_JAVA_OPTIONS", "the Java VM"],
    ["dotnetStartupHooks", "DOTNET_STARTUP_HOOKS", ".NET"],
    ["gitSshCommand", "GIT_SSH_COMMAND", "git and ssh"],
    ["gitDir", "GIT_DIR", "git and ssh"],
    ["sshAuthSock", "SSH_AUTH_SOCK", "git and ssh"],
    ["sslCertFile", "SSL_CERT_FILE", "which certificates"],
    ["npmConfigScriptShell", "NPM_CONFIG_SCRIPT_SHELL", "npm"],
  ])("refuses %s (%s), saying why", (key, name, why) => {
    const message = refusal(key);
    expect(message).toMatch(
      new RegExp(`^config\\.${key}: would be exported as ${name}, a name reserved because .+`),
    );
    expect(message).toContain(why);
    expect(message).toMatch(/; rename the key$/);
  });

  it.each([
    ["githubToken", "GITHUB_TOKEN"],
    ["runnerTemp", "RUNNER_TEMP"],
    ["actionsRuntimeToken", "ACTIONS_RUNTIME_TOKEN"],
    ["ci", "CI"],
  ])("refuses %s (%s), a name the runner reserves", (key, name) => {
    expect(refusal(key)).toBe(
      `config.${key}: would be exported as ${name}, a name the runner reserves; rename the key`,
    );
  });

  it("keeps names that only look alike, and nested sections named like a prefix", () => {
    const entries = [
      { path: ["pathPrefix"], value: "/api" },
      { path: ["homePage"], value: "https://shop" },
      { path: ["environment"], value: "staging" },
      { path: ["gitlabUrl"], value: "https://gitlab" },
      { path: ["shellColor"], value: "blue" },
      { path: ["node", "version"], value: 20 },
      { path: ["git", "branch"], value: "main" },
      { path: ["python", "version"], value: "3.12" },
    ];
    expect(toVariables(entries).map((variable) => variable.name)).toEqual([
      "PATH_PREFIX",
      "HOME_PAGE",
      "ENVIRONMENT",
      "GITLAB_URL",
      "SHELL_COLOR",
      "NODE__VERSION",
      "GIT__BRANCH",
      "PYTHON__VERSION",
    ]);
  });
});
