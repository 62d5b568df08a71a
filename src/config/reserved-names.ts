// Variable names a rendered configuration may not set: those the runner owns, and those that
// change how later processes start (what they load, run or trust), each with the reason.

/** One family of names, and why a configuration key may not be exported under it. */
interface ReservedNames {
  names: RegExp;
  because: string;
}

/** Set by the runner, or refused by it in GITHUB_ENV. */
const RUNNER = /^(GITHUB_|RUNNER_|ACTIONS_)|^CI$/;

// A prefix followed by `__` is a nested section (`node: {version: 20}` gives NODE__VERSION),
// which no tool reads: only the prefix itself followed by a name is reserved.
const RESERVED: readonly ReservedNames[] = [
  {
    names: /^(LD_|DYLD_)(?!_)|^GCONV_PATH$/,
    because: "the dynamic loader reads it, and can load other code into every later process",
  },
  {
    names: /^(ENV|BASH_ENV)$/,
    because: "shells in later steps run the file it names when they start",
  },
  { names: /^PATH$/, because: "it decides which programs later steps run" },
  {
    names: /^HOME$/,
    because: "programs in later steps (git, ssh, npm, shells) read their configuration from it",
  },
  { names: /^SHELL$/, because: "programs in later steps start it to run commands" },
  { names: /^IFS$/, because: "it changes how shells in later steps split words" },
  { names: /^PS4$/, because: "shells tracing commands (set -x) expand it, which can run commands" },
  { names: /^PROMPT_COMMAND$/, because: "bash runs it as a command" },
  {
    names: /^(SHELLOPTS|BASHOPTS|CDPATH|GLOBIGNORE)$/,
    because: "it changes how shells in later steps run commands",
  },
  { names: /^TMPDIR$/, because: "programs in later steps write their temporary files there" },
  {
    names: /^NODE_(?!_)/,
    because: "Node.js reads it when it starts (options, preloaded code, trusted certificates)",
  },
  {
    names: /^PYTHON(?!__)/,
    because: "the Python interpreter reads it when it starts (module paths, startup code)",
  },
  {
    names: /^PERL5(?!__)/,
    because: "the Perl interpreter reads it when it starts (options, module paths)",
  },
  {
    names: /^RUBY(?!__)/,
    because: "the Ruby interpreter reads it when it starts (options, library paths)",
  },
  {
    names: /^(JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS)$/,
    because: "the Java VM reads it when it starts (options, agents)",
  },
  {
    names: /^(DOTNET_|CORECLR_|COMPLUS_)(?!_)/,
    because: ".NET reads it when it starts (startup hooks, profilers)",
  },
  {
    names: /^(GIT_|SSH_)(?!_)/,
    because: "git and ssh read it (commands they run, keys, configuration)",
  },
  {
    names: /^(SSL_CERT_FILE|SSL_CERT_DIR|CURL_CA_BUNDLE|REQUESTS_CA_BUNDLE|OPENSSL_CONF)$/,
    because: "it changes which certificates later programs trust, or what OpenSSL loads",
  },
  { names: /^NPM_CONFIG_/, because: "npm reads it (the scripts it runs, registries)" },
];

/**
 * Why `name` may not be exported, as the end of "would be exported as NAME, …"; undefined when
 * it may.
 */
export function reservedBecause(name: string): string | undefined {
  if (RUNNER.test(name)) return "a name the runner reserves";
  const reserved = RESERVED.find((family) => family.names.test(name));
  return reserved && `a name reserved because ${reserved.because}`;
}
