"""Admin across several Ollama servers: one client per host, the same call on each.

Behind a balancer, `list`, `ps`, `pull` and `delete` reach one server; to see or change every
server, talk to each directly (their own addresses, not the balancer's). Run as
`python examples/several_servers.py http://gpu-1:11434 http://gpu-2:11434`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from ollama_service import AsyncClient


async def models_by_host(hosts: Sequence[str]) -> dict[str, list[str]]:
    """The installed models of each server, by host (all servers asked at once)."""

    async def one(host: str) -> list[str]:
        async with AsyncClient(host) as client:
            return sorted(m.model for m in (await client.list()).models)

    return dict(zip(hosts, await asyncio.gather(*(one(h) for h in hosts)), strict=True))


async def pull_everywhere(hosts: Sequence[str], model: str) -> dict[str, str]:
    """Pull `model` on every server at once; the final status (or the error) by host."""

    async def one(host: str) -> str:
        async with AsyncClient(host) as client:
            return (await client.pull(model)).status

    results = await asyncio.gather(*(one(h) for h in hosts), return_exceptions=True)
    return {
        h: r if isinstance(r, str) else f"error: {r}" for h, r in zip(hosts, results, strict=True)
    }


async def main(hosts: Sequence[str]) -> None:
    print(await pull_everywhere(hosts, "llama3.2"))
    for host, models in (await models_by_host(hosts)).items():
        print(host, ", ".join(models))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["http://127.0.0.1:11434"]))
