/* report_data.h - loads everything the report shows, checking each input.
 *
 * Reads the artifacts of docs/artifacts.md (train-log.jsonl, train.json,
 * metrics.json, predictions.tsv, history.jsonl), the split token-record
 * files (artifacts/split/<split>.tok) and the JSON stats files of the text
 * stages.  Every input is optional: a path that is NULL or does not exist
 * leaves its part empty (the report then says "not available").  A file that
 * exists but is malformed is an error naming the file (and line).  Nothing
 * here writes files or formats output (report_render.c does).
 */
#ifndef RNNPIPE_REPORT_DATA_H
#define RNNPIPE_REPORT_DATA_H

#include <jansson.h>
#include <stdint.h>

#include "tokfile.h"

#define REPORT_MAX_CLASSES TOKFILE_MAX_LABELS
#define REPORT_MAX_STATS 256

/* Where the inputs are; NULL = not given. */
struct report_inputs {
	const char *train_log, *train_json, *metrics, *predictions, *history;
	const char *split_dir;        /* holds train.tok, validation.tok, test.tok */
	const char **tok_stats;       /* (n_tok_stats) tokenize stats, one per dump */
	int n_tok_stats;
	const char *filter_stats, *split_stats;
	int n_examples;               /* example predictions to show */
	int example_chars;            /* review text shortened to this many characters */
};

/* One line of train-log.jsonl; NAN where a value is null or missing. */
struct epoch_row {
	double epoch, loss, accuracy, val_loss, val_accuracy, val_macro_f1;
	double seconds, seq_per_s, lr;
};

/* One line of history.jsonl; promoted: 1, 0, or -1 when null/missing.
 * metric: the validation metric retrain promoted on (PROMOTE_METRIC: the
 * line's val_macro_f1, val_accuracy, best_val_loss or, in older lines,
 * val_loss; the first of these present), NULL when none; metric_value its
 * value. */
struct history_row {
	char *run;
	double accuracy, macro_f1, n, dumps;
	const char *metric;
	double metric_value;
	int promoted;
};

/* One line of predictions.tsv; label and predicted index the header's
 * prob_<label> columns. */
struct pred_row {
	uint64_t hash;
	int label, predicted;
	double prob[REPORT_MAX_CLASSES];
};

/* A chosen example prediction, with its text from the split file (NULL
 * when the split file is absent or does not hold the hash). */
struct example {
	struct pred_row p;
	char *text;
	uint32_t text_len, n_full;
};

struct split_stats {
	int present;
	char *path;
	uint64_t count, truncated;             /* truncated: n_full > max_len */
	uint64_t per_class[REPORT_MAX_CLASSES + 1]; /* last: label not mapped */
};

/* What the split files say: one pass over every record. */
struct data_info {
	int present;                    /* at least one split file was read */
	struct tokmeta meta;            /* of the first split file read */
	struct split_stats split[3];    /* train, validation, test */
	uint32_t *lengths;              /* (n_lengths) n_full of every record */
	size_t n_lengths, cap_lengths;
	uint64_t *per_source;           /* (meta.n_sources, n_labels + 1) kept reviews */
};

struct stats_file {
	char *path;
	const char *kind;               /* "tokenize", "filter-relabel", "split" */
	json_t *json;                   /* an object */
};

struct report_data {
	struct epoch_row *epochs;       /* train-log.jsonl, NULL when absent */
	int n_epochs;
	json_t *train;                  /* train.json, NULL when absent */
	json_t *metrics;                /* metrics.json (checked), NULL when absent */
	int n_classes;                  /* from metrics, else predictions, else tok meta */
	const char *labels[REPORT_MAX_CLASSES]; /* borrowed from metrics/meta/predictions */
	struct pred_row *preds;         /* predictions.tsv, NULL when absent */
	int n_preds, pred_classes;
	char *pred_labels[REPORT_MAX_CLASSES];
	struct history_row *hist;       /* history.jsonl, NULL when absent */
	int n_hist, have_hist;
	struct data_info data;
	struct stats_file stats[REPORT_MAX_STATS];
	int n_stats;
	struct example *examples;
	int n_examples;
	const char *example_split;      /* split the predictions refer to */
};

/* Loads every input named in in.  Returns 0 (absent inputs leave their part
 * empty and are announced with info()), or -1 after an error naming the
 * malformed file.  d is filled either way; free it with report_data_free. */
int report_load(struct report_data *d, const struct report_inputs *in);
void report_data_free(struct report_data *d);

/* Reads one file's train log, metrics, predictions or history; exposed for
 * the unit tests.  Return 1 when the file does not exist, 0 when loaded,
 * -1 after an error naming the file (outputs then empty: nothing to free).
 * On 0 the caller frees *rows (and each history run, each label). */
int report_load_train_log(const char *path, struct epoch_row **rows, int *n);
/* The same for a log that must be there (ts-report): absent is an error. */
int report_read_train_log(const char *path, struct epoch_row **rows, int *n);
int report_load_metrics(const char *path, json_t **out);
/* One JSON object from path, which must be there: NULL after an error
 * naming the file (and the line, for bad JSON). */
json_t *report_read_json(const char *path);
int report_load_predictions(const char *path, struct pred_row **rows, int *n,
			    char *labels[REPORT_MAX_CLASSES], int *n_labels);
int report_load_history(const char *path, struct history_row **rows, int *n);

/* A JSON number as a double: NAN for null, a missing key or another type. */
double json_num(const json_t *obj, const char *key);

#endif
