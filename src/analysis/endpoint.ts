// Endpoint addresses as the gate checks, reports and authenticates them: only http(s) URLs, their
// userinfo never shown, and the credentials to send (the caller's, else the address's userinfo).
import { authHeaders, type ProviderAuth } from "./provider.js";

const USERINFO = /^([A-Za-z][A-Za-z\d+.-]*:\/\/)[^/?#]*@/;

/** An address as written, with its userinfo (credentials) shown as `***`: for reports and messages. */
export function redactUserinfo(address: string): string {
  return address.replace(USERINFO, "$1***@");
}

/** Why `address` cannot be an endpoint (not a URL, or not http/https), or undefined when it can. */
export function httpUrlProblem(address: string): string | undefined {
  let protocol: string | undefined;
  try {
    protocol = new URL(address).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol === "http:" || protocol === "https:") return undefined;
  return (
    "expected an http(s) URL such as http://prometheus:9090, " +
    `got ${JSON.stringify(redactUserinfo(address))}`
  );
}

/** Whether `auth` carries a credential (an empty set of inputs does not). */
export function hasCredentials(auth: ProviderAuth | undefined): auth is ProviderAuth {
  return Object.keys(authHeaders(auth)).length > 0;
}

const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** The credentials in a URL's userinfo, undefined when it has none. */
function userinfoAuth(url: URL): ProviderAuth | undefined {
  if (url.username === "" && url.password === "") return undefined;
  return { username: decoded(url.username), password: decoded(url.password) };
}

/**
 * What a request to `url` carries: the URL without its userinfo (fetch clients drop it silently),
 * and the headers of `auth` when it has a credential, else of the userinfo as Basic auth.
 */
export function authenticated(
  url: URL,
  auth: ProviderAuth | undefined,
): { url: URL; headers: Record<string, string> } {
  const bare = new URL(url);
  bare.username = "";
  bare.password = "";
  return { url: bare, headers: authHeaders(hasCredentials(auth) ? auth : userinfoAuth(url)) };
}

/** What to mask for `auth`: the token, the password, and the Basic credentials as sent. */
export function authSecrets(auth: ProviderAuth): string[] {
  const basic =
    auth.username !== undefined || auth.password !== undefined
      ? Buffer.from(`${auth.username ?? ""}:${auth.password ?? ""}`).toString("base64")
      : undefined;
  return [auth.bearerToken, auth.password, basic].filter(
    (value): value is string => value !== undefined && value !== "",
  );
}

/**
 * What to mask for an address with userinfo: its password as written and decoded (the user name
 * when it stands alone, as tokens do), and the Basic credentials made of them.
 */
export function addressSecrets(address: string | undefined): string[] {
  let url: URL;
  try {
    url = new URL(address ?? "");
  } catch {
    return [];
  }
  const auth = userinfoAuth(url);
  if (!auth) return [];
  const alone = url.password === "" ? [url.username, auth.username ?? ""] : [url.password];
  return [...new Set([...alone, ...authSecrets(auth)])].filter((value) => value !== "");
}
