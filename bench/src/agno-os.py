# agno's AgentOS serving the load benchmark's agents, set up as its docs show:
# an Agent on an OpenAI-compatible model (the fake upstream), a SqliteDb,
# uvicorn with one worker, telemetry off. Started by agno-peer.ts.
import os

import uvicorn
from agno.agent import Agent
from agno.db.sqlite import SqliteDb
from agno.models.openai import OpenAIChat
from agno.os import AgentOS

db = SqliteDb(db_file=os.environ["AGNO_DB_FILE"])


def agent(agent_id: str, base_url: str) -> Agent:
    model = OpenAIChat(id="gpt-4o-mini", api_key="k", base_url=base_url, max_retries=0)
    return Agent(id=agent_id, name=agent_id, model=model, db=db, telemetry=False)


agent_os = AgentOS(
    agents=[agent("load", os.environ["UPSTREAM_URL"]), agent("warm-up", os.environ["WARM_UP_URL"])],
    telemetry=False,
)
app = agent_os.get_app()

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), workers=1, log_level="warning")
