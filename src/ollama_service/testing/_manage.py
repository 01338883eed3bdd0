"""Model management: show, copy, delete, pull, push and create, with their progress streams."""

from __future__ import annotations

import hashlib
from typing import Any, cast

from ollama_service.testing._exchange import (
    ApiRequest,
    ApiResponse,
    decode_body,
    empty_reply,
    json_reply,
    stream_reply,
)
from ollama_service.testing._models import FakeModel, is_valid_name, model_for_name
from ollama_service.testing._params import DIGEST, is_relative_path, stream_requested
from ollama_service.testing._render import details, layers, model_info, modelfile, parameter_lines
from ollama_service.testing._state import StateBase
from ollama_service.testing._validate import ApiError, as_dict, as_list
from ollama_service.testing._wire import dumps, go_quote, local_timestamp

__all__ = ["ManageEndpoints"]

MANIFEST_ERROR = "pull model manifest: file does not exist"


class ManageEndpoints(StateBase):
    """``/api/show``, ``/api/copy``, ``/api/delete``, ``/api/pull``, ``/api/push``, ``/api/create``."""

    def _show(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
        name: str = body.get("model") or body.get("name") or ""
        if not name:
            raise ApiError(400, "model is required")
        if not is_valid_name(name):
            raise ApiError(400, "invalid model name")
        model = self._lookup(name)
        if model is None:
            shown = name if name.rfind(":") > name.rfind("/") else f"{name}:latest"
            raise ApiError(404, f"model '{shown}' not found")
        options = as_dict(body.get("options")) or {}
        system = body.get("system") or model.system
        parameters = {**model.parameters, **options}
        reply: dict[str, Any] = {}
        if model.license:
            reply["license"] = model.license
        reply["modelfile"] = modelfile(model, system, parameters)
        parameter_text = "\n".join(
            f"{key:<30} {value}" for key, value in parameter_lines(parameters, quoted=True)
        )
        if parameter_text:
            reply["parameters"] = parameter_text
        if model.template:
            reply["template"] = model.template
        if system:
            reply["system"] = system
        reply["details"] = details(model)
        reply["model_info"] = model_info(
            model, self.embedding_size, verbose=body.get("verbose") is True
        )
        if model.capabilities:
            reply["capabilities"] = list(model.capabilities)
        reply["modified_at"] = local_timestamp(model.modified_at)
        return json_reply(200, reply)

    def _copy(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
        source: str = body.get("source") or ""
        destination: str = body.get("destination") or ""
        if not is_valid_name(source):
            raise ApiError(400, f"source {go_quote(source)} is invalid")
        if not is_valid_name(destination):
            raise ApiError(400, f"destination {go_quote(destination)} is invalid")
        model = self._lookup(source)
        if model is None:
            raise ApiError(404, f"model {go_quote(source)} not found")
        self.add_model(model.renamed(destination))
        return empty_reply()

    def _delete(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
        name: str = body.get("model") or body.get("name") or ""
        if not name:
            raise ApiError(400, "model is required")
        if not is_valid_name(name):
            raise ApiError(400, f"name {go_quote(name)} is invalid")
        if not self.remove_model(name):
            raise ApiError(404, f"model '{name}' not found")
        return empty_reply()

    def _pull_progress(self, model: FakeModel) -> list[dict[str, Any]]:
        progress: list[dict[str, Any]] = []
        for digest, total in layers(model):
            status = f"pulling {digest[7:19]}"
            progress.append({"status": status, "digest": digest, "total": total})
            progress.append(
                {"status": status, "digest": digest, "total": total, "completed": total // 2}
            )
            progress.append(
                {"status": status, "digest": digest, "total": total, "completed": total}
            )
        return progress

    def _pulled(self, name: str) -> FakeModel:
        existing = self._lookup(name)
        if existing is not None:
            return existing.renamed(existing.name)
        return model_for_name(name).renamed(name)

    def _pull(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
        name: str = body.get("model") or body.get("name") or ""
        if not is_valid_name(name):
            raise ApiError(400, "invalid model name")
        stream = stream_requested(body)
        if self._is_unknown_upstream(name):
            if not stream:
                raise ApiError(500, MANIFEST_ERROR)
            return stream_reply([{"status": "pulling manifest"}, {"error": MANIFEST_ERROR}])
        model = self._pulled(name)
        progress: list[dict[str, Any]] = [
            {"status": "pulling manifest"},
            *self._pull_progress(model),
            {"status": "verifying sha256 digest"},
            {"status": "writing manifest"},
            {"status": "removing unused layers"},
            {"status": "success"},
        ]
        if not stream:
            self.add_model(model)
            return json_reply(200, progress[-1])
        return stream_reply(progress, lambda: self.add_model(model))

    def _push(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
        name: str = body.get("model") or body.get("name") or ""
        if not name:
            raise ApiError(400, "model is required")
        model = self._lookup(name)
        if model is None:
            raise ApiError(404, f"model '{name}' not found")
        progress: list[dict[str, Any]] = [{"status": "retrieving manifest"}]
        for digest, total in layers(model):
            status = f"pushing {digest[7:19]}"
            progress.append({"status": status, "digest": digest, "total": total})
            progress.append(
                {"status": status, "digest": digest, "total": total, "completed": total}
            )
        progress.append({"status": "pushing manifest"})
        progress.append({"status": "success"})
        if not stream_requested(body):
            return json_reply(200, progress[-1])
        return stream_reply(progress)

    def _create(self, request: ApiRequest) -> ApiResponse:
        body = decode_body(request)
        name: str = body.get("model") or body.get("name") or ""
        if not is_valid_name(name):
            raise ApiError(400, "invalid model name")
        source: str = body.get("from") or ""
        files = as_dict(body.get("files")) or {}
        if not source and not files:
            raise ApiError(400, "neither 'from' or 'files' was specified")
        for path, digest in {**files, **(as_dict(body.get("adapters")) or {})}.items():
            if not is_relative_path(path):
                raise ApiError(400, "file path must be relative")
            if not isinstance(digest, str) or not DIGEST.match(digest):
                raise ApiError(400, "invalid digest format")
        stream = stream_requested(body)
        progress: list[dict[str, Any]] = []
        pulled: FakeModel | None = None
        reused: list[str] = []  # digests of layers kept as they are
        if source:
            base = self._lookup(source)
            if base is None:
                if not is_valid_name(source) or self._is_unknown_upstream(source):
                    if not stream:
                        raise ApiError(500, MANIFEST_ERROR)
                    return stream_reply([{"status": "pulling manifest"}, {"error": MANIFEST_ERROR}])
                pulled = base = self._pulled(source)
                progress += [
                    {"status": "pulling manifest"},
                    *self._pull_progress(base),
                    {"status": "verifying sha256 digest"},
                    {"status": "writing manifest"},
                ]
            reused = [digest for digest, _ in layers(base)]
        else:
            gguf = any(str(path).endswith(".gguf") for path in files)
            progress.append({"status": "parsing GGUF" if gguf else "converting model"})
            if gguf:
                reused = [str(digest) for digest in files.values()]
            else:
                layer = "sha256:" + hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
                progress.append({"status": f"creating new layer {layer}"})
            base = model_for_name(name)
            if not gguf:
                base = base.renamed(base.name, quantization_level="F16")

        changes: dict[str, Any] = {}
        quantize: str = body.get("quantize") or body.get("quantization") or ""
        if quantize:
            level = base.quantization_level.upper()
            if level not in ("F16", "BF16", "F32"):
                message = "quantization is only supported for F16, BF16 and F32 models"
                if not stream or not progress:
                    raise ApiError(500, message)
                return stream_reply([*progress, {"error": message}])
            status = f"quantizing {level} model to {quantize.upper()}"
            placeholder = "0000000000000000000"
            weights = hashlib.sha256(f"{base.digest}/{quantize.upper()}".encode()).hexdigest()
            progress += [
                {"status": status, "digest": placeholder, "total": base.size, "completed": 1},
                {
                    "status": status,
                    "digest": placeholder,
                    "total": base.size,
                    "completed": base.size,
                },
                {"status": "verifying conversion"},
                {"status": f"creating new layer sha256:{weights}"},
            ]
            reused = reused[1:]
            changes["quantization_level"] = quantize.upper()
        progress += [{"status": f"using existing layer {digest}"} for digest in reused]
        for field_name in ("template", "system", "license", "parameters", "messages"):
            value = body.get(field_name)
            if not value:
                continue
            licenses = as_list(value)
            if field_name == "license" and licenses is not None:
                value = "\n".join(str(item) for item in licenses)
            if field_name == "parameters":
                changes["parameters"] = {**base.parameters, **cast("dict[str, Any]", value)}
            elif field_name != "messages":
                changes[field_name] = value
            layer = "sha256:" + hashlib.sha256(dumps(value)).hexdigest()
            progress.append({"status": f"creating new layer {layer}"})
        digest = hashlib.sha256(
            f"{base.digest}/{name}/{sorted(changes.items())!r}".encode()
        ).hexdigest()
        created = base.renamed(name, digest=digest, **changes)
        progress += [{"status": "writing manifest"}, {"status": "success"}]

        def commit() -> None:
            if pulled is not None:
                self.add_model(pulled)
            self.add_model(created)

        if not stream:
            commit()
            return json_reply(200, progress[-1])
        return stream_reply(progress, commit)
