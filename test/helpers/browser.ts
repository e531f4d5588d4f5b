import type { Page } from 'playwright-core';

/**
 * The text of every frame of the page (the Web UI renders markdown and code partly inside
 * frames), read again until `until` holds or the time is up; the last reading either way.
 */
export async function framesText(
  page: Page,
  until: (text: string) => boolean,
  timeoutMs = 30_000,
): Promise<string> {
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const parts = await Promise.all(
      page.frames().map((f) =>
        f
          .locator('body')
          .textContent()
          .catch(() => ''),
      ),
    );
    text = parts.join('\n');
    if (until(text)) break;
    await page.waitForTimeout(500);
  }
  return text;
}
