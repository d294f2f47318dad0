// The HTML part of an email: the rendered template inside a minimal document. Inline CSS only (many
// clients drop <style>), no images or remote resources, and no colours at all: the client's light
// or dark scheme applies to text and background alike, so nothing turns unreadable in dark mode.
// With styles off it is still paragraphs with the code on a line of its own.

export function htmlDocument(input: { locale: string; subject: string; body: string }): string {
  return [
    '<!doctype html>',
    `<html lang="${escapeHtml(input.locale)}">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">',
    `<title>${escapeHtml(input.subject)}</title></head>`,
    '<body style="margin:0;padding:0">',
    '<div style="max-width:480px;margin:0 auto;padding:24px;font-family:-apple-system,BlinkMacSystemFont,\'Segoe UI\',Roboto,\'Noto Sans\',\'Noto Sans Devanagari\',Arial,sans-serif;font-size:16px;line-height:24px">',
    input.body,
    '</div></body></html>',
  ].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
