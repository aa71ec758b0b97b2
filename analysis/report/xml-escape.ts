// Escaping for the XML and HTML the renderers write. Trace text, console output and scenario names
// are untrusted input: every one goes through these before it lands in markup.

// Characters XML 1.0 does not allow at all (C0 controls except tab, newline, carriage return; lone
// surrogates; U+FFFE/U+FFFF): a JUnit file holding one is rejected whole by CI viewers.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function stripInvalidXml(text: string): string {
  return text.replace(INVALID_XML, '\ufffd');
}

/** Text content and attribute values (double or single quoted) in XML and HTML. */
export function escapeXml(text: string): string {
  return stripInvalidXml(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export const escapeHtml = escapeXml;

/**
 * A relative link into the results folder, or null when the path is not a plain relative path
 * (absolute, `..`, a scheme such as `javascript:`): such a path is shown as text, never linked.
 */
export function relativeHref(path: string): string | null {
  if (path === '' || path.startsWith('/') || path.startsWith('\\') || /^[a-z][a-z0-9+.-]*:/i.test(path)) return null;
  const parts = path.split('/');
  if (parts.some((p) => p === '..' || p === '')) return null;
  return parts.map((p) => encodeURIComponent(p)).join('/');
}

/** JSON for a `<script type="application/json">` block: `<` escaped so no `</script>` can close it early. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
