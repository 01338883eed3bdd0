"""What langchain-ollama, llama-index and ollama-haystack do with an Ollama client, as data.

``python _run_script.py scenarios.py LIBRARY`` runs every scenario of ``LIBRARY`` against
``$OLLAMA_HOST`` and prints ``{scenario: result}`` as JSON. The test runs it once on the
official library and once with the import shim on ``PYTHONPATH`` (``import ollama`` gives ours),
and compares scenario by scenario. A scenario that raises records the error in a
library-neutral form instead, so one failure does not hide the others.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

URL = os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434")
CHAT_MODEL = "llama3.2"
THINKING_MODEL = "qwen3"
EMBED_MODEL = "nomic-embed-text"
PROMPT = "Why is the sky blue?"

Scenario = Callable[[], Any]
SCENARIOS: dict[str, dict[str, Scenario]] = {"langchain": {}, "llama_index": {}, "haystack": {}}


def scenario(library: str) -> Callable[[Scenario], Scenario]:
    def register(function: Scenario) -> Scenario:
        SCENARIOS[library][function.__name__] = function
        return function

    return register


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str
    age: int


def get_weather(city: str) -> str:
    """Get the current weather in a city.

    Args:
        city: The name of the city.
    """
    return f"It is sunny in {city}."


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def describe_error(exc: BaseException) -> dict[str, Any]:
    """An exception as the same data on both libraries."""
    for name in ("ResponseError", "RequestError"):
        module = sys.modules.get("ollama")
        cls = getattr(module, name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return {
                "error": name,
                "message": getattr(exc, "error", None),
                "status_code": getattr(exc, "status_code", None),
            }
    builtin = next(c for c in type(exc).__mro__ if c.__module__ == "builtins")
    return {
        "error": builtin.__name__,
        "is_connection_error": isinstance(exc, ConnectionError),
        "is_timeout_error": isinstance(exc, TimeoutError),
    }


def plain(value: Any) -> Any:
    """``value`` as JSON data: pydantic models dumped, volatile ids dropped."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if hasattr(value, "to_dict") and not isinstance(value, dict):
        value = value.to_dict()
    if isinstance(value, dict):
        return {
            str(k): plain(v)
            for k, v in value.items()
            if k not in ("id", "run_id", "_meta_id", "lc_id") and not str(k).startswith("__")
        }
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


# -- langchain-ollama -------------------------------------------------------------------------


def _chat_ollama(**kwargs: Any) -> Any:
    from langchain_ollama import ChatOllama

    return ChatOllama(model=kwargs.pop("model", CHAT_MODEL), base_url=URL, **kwargs)


@scenario("langchain")
def chat_invoke() -> Any:
    return plain(_chat_ollama().invoke(PROMPT))


@scenario("langchain")
def chat_invoke_with_options() -> Any:
    return plain(_chat_ollama(temperature=0, num_predict=5, seed=1, top_k=10).invoke(PROMPT))


@scenario("langchain")
def chat_stream() -> Any:
    return [plain(chunk) for chunk in _chat_ollama().stream(PROMPT)]


@scenario("langchain")
def chat_astream() -> Any:
    async def collect() -> list[Any]:
        return [plain(chunk) async for chunk in _chat_ollama().astream(PROMPT)]

    return asyncio.run(collect())


@scenario("langchain")
def chat_ainvoke() -> Any:
    return plain(asyncio.run(_chat_ollama().ainvoke(PROMPT)))


@scenario("langchain")
def chat_bind_tools() -> Any:
    message = _chat_ollama().bind_tools([get_weather]).invoke("What is the weather in Paris?")
    return {"tool_calls": plain(message.tool_calls), "content": message.content}


@scenario("langchain")
def chat_bind_tools_stream() -> Any:
    llm = _chat_ollama().bind_tools([get_weather])
    return [plain(chunk.tool_call_chunks) for chunk in llm.stream("Weather in Paris?")]


@scenario("langchain")
def chat_structured_output_json_schema() -> Any:
    llm = _chat_ollama().with_structured_output(Person)
    return plain(llm.invoke("Alice is 30."))


@scenario("langchain")
def chat_structured_output_function_calling() -> Any:
    llm = _chat_ollama().with_structured_output(Person, method="function_calling")
    return plain(llm.invoke("Alice is 30."))


@scenario("langchain")
def chat_structured_output_json_mode() -> Any:
    llm = _chat_ollama().with_structured_output(Person, method="json_mode", include_raw=True)
    result = llm.invoke("Alice is 30. Answer in JSON.")
    return {"raw": plain(result["raw"]), "parsing_error": repr(result["parsing_error"])}


@scenario("langchain")
def chat_reasoning() -> Any:
    return plain(_chat_ollama(model=THINKING_MODEL, reasoning=True).invoke("What is 10 + 23?"))


@scenario("langchain")
def chat_missing_model() -> Any:
    try:
        _chat_ollama(model="no-such-model").invoke(PROMPT)
    except Exception as exc:
        return describe_error(exc)
    return "no error"


@scenario("langchain")
def llm_invoke() -> Any:
    from langchain_ollama import OllamaLLM

    return OllamaLLM(model=CHAT_MODEL, base_url=URL).invoke(PROMPT)


@scenario("langchain")
def llm_generate_metadata() -> Any:
    from langchain_ollama import OllamaLLM

    result = OllamaLLM(model=CHAT_MODEL, base_url=URL, temperature=0.2).generate([PROMPT])
    return plain(result.generations)


@scenario("langchain")
def llm_stream() -> Any:
    from langchain_ollama import OllamaLLM

    return list(OllamaLLM(model=CHAT_MODEL, base_url=URL).stream(PROMPT))


@scenario("langchain")
def llm_astream() -> Any:
    from langchain_ollama import OllamaLLM

    async def collect() -> list[str]:
        return [c async for c in OllamaLLM(model=CHAT_MODEL, base_url=URL).astream(PROMPT)]

    return asyncio.run(collect())


@scenario("langchain")
def llm_ainvoke() -> Any:
    from langchain_ollama import OllamaLLM

    return asyncio.run(OllamaLLM(model=CHAT_MODEL, base_url=URL).ainvoke(PROMPT))


@scenario("langchain")
def embeddings() -> Any:
    from langchain_ollama import OllamaEmbeddings

    embedder = OllamaEmbeddings(model=EMBED_MODEL, base_url=URL)
    return {
        "query": embedder.embed_query("hello"),
        "documents": embedder.embed_documents(["hello", "world"]),
    }


@scenario("langchain")
def embeddings_async() -> Any:
    from langchain_ollama import OllamaEmbeddings

    embedder = OllamaEmbeddings(model=EMBED_MODEL, base_url=URL)

    async def run() -> Any:
        return [await embedder.aembed_query("hello"), await embedder.aembed_documents(["a"])]

    return asyncio.run(run())


# -- llama-index ------------------------------------------------------------------------------


def _llama(**kwargs: Any) -> Any:
    from llama_index.llms.ollama import Ollama

    return Ollama(model=kwargs.pop("model", CHAT_MODEL), base_url=URL, **kwargs)


def _chat_messages() -> list[Any]:
    from llama_index.core.llms import ChatMessage

    return [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content=PROMPT),
    ]


@scenario("llama_index")
def metadata() -> Any:
    return plain(_llama().metadata)


@scenario("llama_index")
def complete() -> Any:
    return plain(_llama().complete(PROMPT))


@scenario("llama_index")
def stream_complete() -> Any:
    return [chunk.delta for chunk in _llama().stream_complete(PROMPT)]


@scenario("llama_index")
def acomplete() -> Any:
    return plain(asyncio.run(_llama().acomplete(PROMPT)))


@scenario("llama_index")
def chat() -> Any:
    return plain(_llama().chat(_chat_messages()))


@scenario("llama_index")
def stream_chat() -> Any:
    return [plain(chunk) for chunk in _llama().stream_chat(_chat_messages())]


@scenario("llama_index")
def achat() -> Any:
    return plain(asyncio.run(_llama().achat(_chat_messages())))


@scenario("llama_index")
def astream_chat() -> Any:
    async def collect() -> list[Any]:
        return [plain(chunk) async for chunk in await _llama().astream_chat(_chat_messages())]

    return asyncio.run(collect())


@scenario("llama_index")
def chat_thinking() -> Any:
    return plain(_llama(model=THINKING_MODEL, thinking=True).chat(_chat_messages()))


@scenario("llama_index")
def chat_with_tools() -> Any:
    from llama_index.core.tools import FunctionTool

    llm = _llama()
    tool = FunctionTool.from_defaults(fn=get_weather)
    response = llm.chat_with_tools([tool], user_msg="What is the weather in Paris?")
    calls = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    return {"response": plain(response), "calls": plain(calls)}


@scenario("llama_index")
def predict_and_call() -> Any:
    from llama_index.core.tools import FunctionTool

    tool = FunctionTool.from_defaults(fn=get_weather)
    return plain(_llama().predict_and_call([tool], user_msg="What is the weather in Paris?"))


@scenario("llama_index")
def structured_predict() -> Any:
    from llama_index.core.prompts import PromptTemplate

    prompt = PromptTemplate("Extract the person: {text}")
    return plain(_llama().structured_predict(Person, prompt, text="Alice is 30."))


@scenario("llama_index")
def embedding() -> Any:
    from llama_index.embeddings.ollama import OllamaEmbedding

    embedder = OllamaEmbedding(model_name=EMBED_MODEL, base_url=URL)
    return {
        "text": embedder.get_text_embedding("hello"),
        "query": embedder.get_query_embedding("hello"),
        "batch": embedder.get_text_embedding_batch(["hello", "world"]),
    }


@scenario("llama_index")
def embedding_async() -> Any:
    from llama_index.embeddings.ollama import OllamaEmbedding

    embedder = OllamaEmbedding(model_name=EMBED_MODEL, base_url=URL)
    return asyncio.run(embedder.aget_query_embedding("hello"))


# -- ollama-haystack --------------------------------------------------------------------------


def _haystack_messages() -> list[Any]:
    from haystack.dataclasses import ChatMessage

    return [ChatMessage.from_system("Be brief."), ChatMessage.from_user(PROMPT)]


def _haystack_tool() -> Any:
    from haystack.tools import Tool

    return Tool(
        name="get_weather",
        description="Get the current weather in a city.",
        parameters={
            "type": "object",
            "properties": {"city": {"type": "string", "description": "The city."}},
            "required": ["city"],
        },
        function=get_weather,
    )


def _generator(**kwargs: Any) -> Any:
    from haystack_integrations.components.generators.ollama import OllamaChatGenerator

    return OllamaChatGenerator(model=kwargs.pop("model", CHAT_MODEL), url=URL, **kwargs)


@scenario("haystack")
def chat_generator() -> Any:
    return plain(_generator().run(messages=_haystack_messages()))


@scenario("haystack")
def chat_generator_options() -> Any:
    generator = _generator(generation_kwargs={"temperature": 0, "num_predict": 4})
    return plain(generator.run(messages=_haystack_messages()))


@scenario("haystack")
def chat_generator_streaming() -> Any:
    chunks: list[Any] = []
    result = _generator(streaming_callback=chunks.append).run(messages=_haystack_messages())
    return {"result": plain(result), "chunks": [plain(c) for c in chunks]}


@scenario("haystack")
def chat_generator_tools() -> Any:
    generator = _generator(tools=[_haystack_tool()])
    return plain(generator.run(messages=[_haystack_messages()[1]]))


@scenario("haystack")
def chat_generator_tools_streaming() -> Any:
    chunks: list[Any] = []
    generator = _generator(tools=[_haystack_tool()], streaming_callback=chunks.append)
    result = generator.run(messages=[_haystack_messages()[1]])
    return {"result": plain(result), "chunks": [plain(c) for c in chunks]}


@scenario("haystack")
def chat_generator_tool_result_round_trip() -> Any:
    from haystack.dataclasses import ChatMessage

    generator = _generator(tools=[_haystack_tool()])
    first = generator.run(messages=[ChatMessage.from_user("Weather in Paris?")])["replies"][0]
    call = first.tool_calls[0]
    followup = [
        ChatMessage.from_user("Weather in Paris?"),
        first,
        ChatMessage.from_tool(get_weather(**call.arguments), origin=call),
    ]
    return plain(generator.run(messages=followup))


@scenario("haystack")
def chat_generator_think() -> Any:
    return plain(_generator(model=THINKING_MODEL, think=True).run(messages=_haystack_messages()))


@scenario("haystack")
def chat_generator_response_format() -> Any:
    generator = _generator(response_format=Person.model_json_schema())
    return plain(generator.run(messages=[_haystack_messages()[1]]))


@scenario("haystack")
def chat_generator_async() -> Any:
    return plain(asyncio.run(_generator().run_async(messages=_haystack_messages())))


@scenario("haystack")
def chat_generator_retries_connection_errors() -> Any:
    from haystack_integrations.components.generators.ollama import OllamaChatGenerator

    generator = OllamaChatGenerator(model=CHAT_MODEL, url=closed_port_url(), max_retries=1)
    try:
        generator.run(messages=_haystack_messages())
    except Exception as exc:
        return describe_error(exc)
    return "no error"


@scenario("haystack")
def chat_generator_missing_model() -> Any:
    try:
        _generator(model="no-such-model").run(messages=_haystack_messages())
    except Exception as exc:
        return describe_error(exc)
    return "no error"


@scenario("haystack")
def text_embedder() -> Any:
    from haystack_integrations.components.embedders.ollama import OllamaTextEmbedder

    return plain(OllamaTextEmbedder(model=EMBED_MODEL, url=URL).run(text="hello"))


@scenario("haystack")
def text_embedder_async() -> Any:
    from haystack_integrations.components.embedders.ollama import OllamaTextEmbedder

    embedder = OllamaTextEmbedder(model=EMBED_MODEL, url=URL)
    return plain(asyncio.run(embedder.run_async(text="hello")))


@scenario("haystack")
def document_embedder() -> Any:
    from haystack import Document
    from haystack_integrations.components.embedders.ollama import OllamaDocumentEmbedder

    embedder = OllamaDocumentEmbedder(model=EMBED_MODEL, url=URL, progress_bar=False)
    documents = [Document(content="hello", id="1"), Document(content="world", id="2")]
    result = embedder.run(documents=documents)
    return {
        "embeddings": [d.embedding for d in result["documents"]],
        "meta": plain(result.get("meta")),
    }


def main() -> None:
    library = sys.argv[1]
    results: dict[str, Any] = {}
    for name, function in SCENARIOS[library].items():
        try:
            results[name] = function()
        except Exception as exc:
            results[name] = {"scenario raised": describe_error(exc), "detail": repr(exc)[:300]}
    print(json.dumps(results, indent=1, sort_keys=True, default=repr))


if __name__ == "__main__":
    main()
