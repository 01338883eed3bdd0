"""httpx transports over faster HTTP libraries: urllib3 (sync) and aiohttp (async).

Each module imports its library at import time, so import one only when a client selects it
(see `ollama_service._backends`): `import ollama_service` must stay light.
"""
