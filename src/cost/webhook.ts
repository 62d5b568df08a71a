// The digest's short text to a chat webhook (Slack and Teams incoming webhooks both take {"text"}).
// The URL is a secret: it is never part of a message.

export interface WebhookOutcome {
  ok: boolean;
  status?: number;
  error?: string;
}

export async function postWebhook(
  url: string,
  text: string,
  timeoutMs = 10_000,
): Promise<WebhookOutcome> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return response.ok
      ? { ok: true, status: response.status }
      : { ok: false, status: response.status, error: `HTTP ${response.status}` };
  } catch (error) {
    // Errors from fetch can quote the URL; only the kind of failure is kept.
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, error: cause ?? (error as Error).name };
  }
}
