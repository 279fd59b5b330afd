// hf_tokenize.js - Hugging Face's Rust tokenizer (npm package `tokenizers`)
// configured as BertTokenizerFast is for a cased BERT, the reference that
// build/bin/tokenize is compared against (see shared golden/tokenize/README.md):
// BertNormalizer(clean_text, Chinese chars, no accent stripping, no lower-
// casing), BertPreTokenizer, WordPiece([UNK], ##, 100 chars per word),
// "[CLS] $A [SEP]", the five specials registered as special tokens.
// Reads JSON Lines with a "text" field; prints {"ids":[...]} per text in
// input order (--print-ids) and/or one JSON line of timings (--timing FILE).
// Parallelism is Rust's (rayon) inside encodeBatch: TOKENIZERS_PARALLELISM=
// false makes it serial.  Not part of the build or the tests; bench/run runs it.
'use strict';
const fs = require('fs');
const path = require('path');

function usage(msg) {
	if (msg) process.stderr.write(`hf_tokenize: ${msg}\n`);
	process.stderr.write('usage: node hf_tokenize.js --modules DIR --vocab FILE [--max-len N] ' +
		'[--print-ids] [--timing FILE] [--chunk N] TEXTS.jsonl\n');
	process.exit(2);
}

function parseArgs(argv) {
	const a = { maxLen: 256, print: false, timing: null, chunk: 1024, modules: null, vocab: null, input: null };
	for (let i = 0; i < argv.length; i++) {
		const k = argv[i];
		const val = () => { if (i + 1 >= argv.length) usage(`${k} needs a value`); return argv[++i]; };
		if (k === '--vocab') a.vocab = val();
		else if (k === '--modules') a.modules = val();
		else if (k === '--max-len') a.maxLen = parseInt(val(), 10);
		else if (k === '--chunk') a.chunk = parseInt(val(), 10);
		else if (k === '--timing') a.timing = val();
		else if (k === '--print-ids') a.print = true;
		else if (k.startsWith('--')) usage(`unknown option '${k}'`);
		else if (a.input === null) a.input = k;
		else usage('one input file only');
	}
	if (!a.vocab || !a.input || !a.modules) usage();
	if (!(a.maxLen >= 0) || !(a.chunk >= 1)) usage('bad --max-len or --chunk');
	return a;
}

async function main() {
	const a = parseArgs(process.argv.slice(2));
	const t = require(path.resolve(a.modules, 'tokenizers'));
	const version = require(path.resolve(a.modules, 'tokenizers', 'package.json')).version;
	const now = () => Number(process.hrtime.bigint()) / 1e9;

	const t0 = now();
	const model = await t.WordPiece.fromFile(a.vocab,
		{ unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 });
	const tok = new t.Tokenizer(model);
	tok.setNormalizer(t.bertNormalizer(
		{ cleanText: true, handleChineseChars: true, stripAccents: false, lowercase: false }));
	tok.setPreTokenizer(t.bertPreTokenizer());
	const cls = tok.tokenToId('[CLS]'), sep = tok.tokenToId('[SEP]');
	if (cls === null || sep === null) throw new Error(`'${a.vocab}' has no [CLS] or [SEP]`);
	tok.setPostProcessor(t.templateProcessing('[CLS] $A [SEP]', null, [['[CLS]', cls], ['[SEP]', sep]]));
	tok.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
	if (a.maxLen > 0) tok.setTruncation(a.maxLen);
	const t1 = now();

	const texts = [];
	let textBytes = 0;
	for (const line of fs.readFileSync(a.input, 'utf8').split('\n')) {
		if (!line) continue;
		const s = JSON.parse(line).text;
		if (typeof s !== 'string') throw new Error(`'${a.input}': a line without a "text" string`);
		texts.push(s);
		textBytes += Buffer.byteLength(s, 'utf8');
	}
	const t2 = now();

	let encodeS = 0, writeS = 0, pieces = 0;
	const fd = 1;
	for (let i = 0; i < texts.length; i += a.chunk) {
		const e0 = now();
		const enc = await tok.encodeBatch(texts.slice(i, i + a.chunk));
		const ids = enc.map((e) => e.getIds());
		const e1 = now();
		encodeS += e1 - e0;
		for (const v of ids) pieces += v.length;
		if (a.print) {
			let out = '';
			for (const v of ids) out += '{"ids":[' + v.join(',') + ']}\n';
			fs.writeSync(fd, out);
		}
		writeS += now() - e1;
	}
	const t3 = now();
	if (a.timing) {
		fs.writeFileSync(a.timing, JSON.stringify({
			tool: 'tokenizers (npm)', version, node: process.version,
			parallelism: process.env.TOKENIZERS_PARALLELISM || 'default',
			rayon_threads: process.env.RAYON_NUM_THREADS || 'default',
			texts: texts.length, text_bytes: textBytes, ids: pieces,
			load_s: t1 - t0, read_s: t2 - t1, encode_s: encodeS, write_s: writeS, total_s: t3 - t0,
			encode_mb_per_s: encodeS > 0 ? textBytes / 1e6 / encodeS : 0,
		}) + '\n');
	}
}

main().catch((e) => { process.stderr.write(`hf_tokenize: ${e.stack || e}\n`); process.exit(1); });
