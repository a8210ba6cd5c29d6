import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kesu.core.errors import NotFound
from kesu.triage import service
from kesu.triage.core import FIELDS, store
from kesu.triage.core.evaluate import evaluate, format_report
from kesu.triage.core.serving import ServingModel
from kesu.triage.core.train import Example, TrainingError, load_label_map, read_csv_examples
from kesu.triage.reasons import reason_text

PREDICT_BATCH = 512


def add_csv_arguments(parser: CommandParser, *, required: bool) -> None:
    parser.add_argument("--csv", required=required, help="CSV file with a header row (UTF-8)")
    parser.add_argument("--text-column", default="text", help="Column holding the customer's text")
    parser.add_argument("--label-column", help="Column holding the label")
    parser.add_argument("--field", choices=list(FIELDS), help="Which field the labels are for")
    parser.add_argument("--label-map", help="JSON or TOML file mapping CSV labels to codes")


class Command(BaseCommand):
    help = ("Chinese triage models: kesu triage train | evaluate | predict | versions | use. "
            "Models live in DATA_DIR/triage/models.")
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        train = sub.add_parser("train", help="Build a new model version and make it current. In the "
                               "installation's model root it also learns from every case staff confirmed "
                               "or corrected")
        train.add_argument("--starter", action="store_true", help="Include kesu's own starter sentences")
        add_csv_arguments(train, required=False)
        train.add_argument("--out", help="Model root directory (default: DATA_DIR/triage/models)")
        train.add_argument("--keep-current", action="store_true", help="Do not make the new version current")
        ev = sub.add_parser("evaluate", help="Accuracy, macro-F1 and confusion matrix on a labelled CSV")
        add_csv_arguments(ev, required=True)
        ev.add_argument("--model", help="Model version (default: the current one)")
        ev.add_argument("--root", help="Model root directory")
        pr = sub.add_parser("predict",
                            help='Triage JSON lines {"text": ...} from stdin, one JSON line out each')
        pr.add_argument("--model", help="Model version (default: the current one)")
        pr.add_argument("--root", help="Model root directory")
        ls = sub.add_parser("versions", help="List model versions; * marks the current one")
        ls.add_argument("--root", help="Model root directory")
        use = sub.add_parser("use", help="Make a version the current one")
        use.add_argument("version")
        use.add_argument("--root", help="Model root directory")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            getattr(self, "do_" + opts["action"])(opts)
        except TrainingError as exc:
            raise CommandError(str(exc)) from exc
        except store.ModelNotFound as exc:
            raise CommandError(_("No triage model {version}. Train one with: kesu triage train --starter")
                               .format(version=str(exc))) from exc

    def root(self, opts: dict[str, Any], key: str = "root") -> Path:
        return Path(opts[key]) if opts.get(key) else service.models_root()

    def is_installation(self, root: Path) -> bool:
        """The installation's own model root: versions are registered and promoted in the database
        (audited, and the labels staff gave are trained on). Another root is a scratch area: files only."""
        return root.resolve() == service.models_root().resolve()

    def csv_examples(self, opts: dict[str, Any]) -> list[Example]:
        if not (opts.get("label_column") and opts.get("field")):
            raise CommandError(_("--csv needs --label-column and --field."))
        path = Path(opts["csv"])
        if not path.is_file():
            raise CommandError(_("No such file: {path}").format(path=path))
        label_map = load_label_map(opts["label_map"]) if opts.get("label_map") else None
        examples, skipped = read_csv_examples(path, text_column=opts["text_column"],
                                              label_column=opts["label_column"], field_name=opts["field"],
                                              label_map=label_map)
        self.stdout.write(_("{path}: {n} examples, {skipped} rows skipped (empty text or unknown label).")
                          .format(path=path.name, n=len(examples), skipped=skipped))
        return examples

    def do_train(self, opts: dict[str, Any]) -> None:
        if not opts["starter"] and not opts.get("csv"):
            raise CommandError(_("Choose what to train on: --starter, --csv FILE, or both."))
        examples = self.csv_examples(opts) if opts.get("csv") else []
        root = self.root(opts, "out")
        if self.is_installation(root):
            from kesu.triage.actions_models import do_train_model_version

            outcome = do_train_model_version(actor=None, promote=not opts["keep_current"], examples=examples,
                                             starter=opts["starter"])
            model = service.get_model(outcome.version.version, root=root)
            path = root / model.version
        else:
            result = service.train(starter=opts["starter"], examples=examples, root=root,
                                   make_current=not opts["keep_current"], include_confirmed=False)
            model, path = result.model.serving(), result.path
        self.stdout.write(_("Model {version} trained on {n} examples, saved in {path}.")
                          .format(version=model.version, n=model.training_size, path=path))
        for name, m in model.metrics.items():
            if m:
                method = _("{n}-fold cross-validation").format(n=m["folds"])
                self.stdout.write(_("{field}: accuracy {accuracy:.3f}, macro-F1 {f1:.3f} ({method})").format(
                    field=name, accuracy=m["accuracy"], f1=m["macro_f1"], method=method))

    def load(self, opts: dict[str, Any]) -> ServingModel:
        return service.get_model(opts.get("model"), root=self.root(opts), train_if_missing=False)

    def do_evaluate(self, opts: dict[str, Any]) -> None:
        examples = self.csv_examples(opts)
        model = self.load(opts)
        if opts["field"] not in model.fields:
            raise CommandError(_("Model {version} does not predict {field}.")
                               .format(version=model.version, field=opts["field"]))
        self.stdout.write(_("Model {version}").format(version=model.version))
        for name, report in evaluate(model, examples, [opts["field"]]).items():
            self.stdout.write(format_report(name, report))

    def do_predict(self, opts: dict[str, Any]) -> None:
        model = self.load(opts)
        stream = opts.get("stdin") or sys.stdin
        batch: list[dict[str, Any]] = []
        for lineno, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise TypeError
            except (ValueError, TypeError) as exc:
                message = _('Line {n}: expected a JSON object with "text".').format(n=lineno)
                raise CommandError(message) from exc
            batch.append(item)
            if len(batch) >= PREDICT_BATCH:
                self.write_predictions(model, batch)
                batch = []
        self.write_predictions(model, batch)

    def write_predictions(self, model: ServingModel, batch: list[dict[str, Any]]) -> None:
        """One JSON line per input, in input order; an input's "id" is echoed first."""
        triages = model.predict_many([item["text"] for item in batch],
                                     customer_levels=[item.get("customer_level") for item in batch],
                                     repeats=[int(item.get("repeats") or 0) for item in batch])
        for item, triage in zip(batch, triages, strict=True):
            out = triage.to_dict()
            out["reasons"] = [{**r.to_dict(), "text": reason_text(r)} for r in triage.reasons]
            if "id" in item:
                out = {"id": item["id"], **out}
            self.stdout.write(json.dumps(out, ensure_ascii=False))

    def do_versions(self, opts: dict[str, Any]) -> None:
        root = self.root(opts)
        current = store.current_version(root)
        versions = store.list_versions(root)
        if not versions:
            self.stdout.write(_("No triage model yet. Train one with: kesu triage train --starter"))
        for m in versions:
            mark = "*" if m["version"] == current else " "
            self.stdout.write(_("{mark} {version}  {created}  {n} examples  fields: {fields}").format(
                mark=mark, version=m["version"], created=m["created_at"][:19], n=m["training_size"],
                fields=", ".join(m["fields"])))

    def do_use(self, opts: dict[str, Any]) -> None:
        root = self.root(opts)
        if self.is_installation(root):
            from kesu.triage.actions_models import do_promote_model_version

            try:
                do_promote_model_version(opts["version"], actor=None, root=root)
            except NotFound as exc:
                raise store.ModelNotFound(opts["version"]) from exc
            store.set_current(root, opts["version"])  # at once: a command has no request to commit
        else:
            store.set_current(root, opts["version"])
        self.stdout.write(_("Model {version} is now current.").format(version=opts["version"]))
