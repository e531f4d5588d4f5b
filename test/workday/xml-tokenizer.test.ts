import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XmlSyntaxError, XmlTokenizer } from '../../src/workday/xml-tokenizer';

function tokens(xml: string, chunk = xml.length) {
  const out: string[] = [];
  const t = new XmlTokenizer({
    open: (n, a) =>
      out.push(
        `<${n}${Object.entries(a)
          .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`)
          .join('')}>`,
      ),
    close: (n) => out.push(`</${n}>`),
    text: (s) => {
      // Pieces of one text node are joined, so results do not depend on chunking.
      if (out.length && out[out.length - 1]!.startsWith('#')) out[out.length - 1] += s;
      else out.push(`#${s}`);
    },
  });
  for (let i = 0; i < xml.length; i += chunk) t.write(xml.slice(i, i + chunk));
  t.end();
  return { out, complete: t.complete };
}

const DOC =
  '<?xml version="1.0"?><!-- c --><a:r xmlns:a="urn:x" a:t=\'1 &amp; 2\' b = "x&#xa;y&#65;"><e/>t&lt;&gt;&quot;&apos;&#233;<![CDATA[<raw&>]]><b c="&gt;">v</b ></a:r>\n';

describe('XML tokenizer', () => {
  it('reports tags, attributes, text, entities and CDATA', () => {
    assert.deepEqual(tokens(DOC).out, [
      '<a:r xmlns:a="urn:x" a:t="1 & 2" b="x\\nyA">',
      '<e>',
      '</e>',
      '#t<>"\'é<raw&>',
      '<b c=">">',
      '#v',
      '</b>',
      '</a:r>',
    ]);
  });

  it('gives the same tokens for every chunking', () => {
    const whole = tokens(DOC).out;
    for (let size = 1; size < 12; size++)
      assert.deepEqual(tokens(DOC, size).out, whole, `chunk size ${size}`);
  });

  it('knows when the document is complete', () => {
    assert.equal(tokens('<a><b>x</b>').complete, false);
    assert.equal(tokens('<a><b>x</b></a>').complete, true);
  });

  it('rejects malformed input', () => {
    for (const bad of [
      '<a></b>',
      '<a>x & y</a>',
      '<a b="1" c></a>',
      '<!DOCTYPE a [<!ENTITY x "y">]><a/>',
      '<a/><b/>',
      'junk<a/>',
      '<a x="<"/>',
      '<a>&bogus;</a>',
    ]) {
      assert.throws(() => tokens(bad), XmlSyntaxError, bad);
    }
  });
});
