import asyncio
import tangram

plugin = tangram.Plugin()

@plugin.register_service()
async def run_periodic_task(backend_state: tangram.BackendState):
    """A background service that publishes a message every 10 seconds."""
    redis_client = backend_state.redis_client
    while True:
        await redis_client.publish("my-plugin:status", "alive")
        await asyncio.sleep(10)
