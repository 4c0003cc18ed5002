"""The /v1 facade as the official openai Python package sees it.

Run by python-client.test.ts with BASE_URL and API_KEY set; prints one JSON
object with what each call returned, for the test to check.
"""

import json
import os

import openai

base_url = os.environ["BASE_URL"]
client = openai.OpenAI(api_key=os.environ["API_KEY"], base_url=base_url, max_retries=0)
out = {}

out["models"] = [m.id for m in client.models.list().data]

answer = client.chat.completions.create(
    model="helper", messages=[{"role": "user", "content": "hi"}]
)
out["content"] = answer.choices[0].message.content
out["usage"] = answer.usage.model_dump() if answer.usage else None

stream = client.chat.completions.create(
    model="helper",
    messages=[{"role": "user", "content": "count"}],
    stream=True,
    stream_options={"include_usage": True},
)
streamed, usage = "", None
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        streamed += chunk.choices[0].delta.content
    if chunk.usage:
        usage = chunk.usage.total_tokens
out["streamed"], out["stream_usage"] = streamed, usage

session = {"X-Session-Id": "py-session"}
client.chat.completions.create(
    model="helper", messages=[{"role": "user", "content": "I live in Oslo"}], extra_headers=session
)
again = client.chat.completions.create(
    model="helper",
    messages=[
        {"role": "user", "content": "I live in Oslo"},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "Where do I live?"},
    ],
    extra_headers=session,
)
out["session_answer"] = again.choices[0].message.content

try:
    openai.OpenAI(api_key="wrong", base_url=base_url, max_retries=0).models.list()
except openai.AuthenticationError as error:
    out["unauthorized"] = error.status_code

try:
    client.chat.completions.create(model="ghost", messages=[{"role": "user", "content": "hi"}])
except openai.NotFoundError as error:
    out["not_found"] = error.status_code

tools = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Find an order",
            "parameters": {"type": "object", "properties": {"id": {"type": "string"}}},
        },
    }
]
asked = [{"role": "user", "content": "where is order 42?"}]
first = client.chat.completions.create(model="helper", messages=asked, tools=tools)
call = first.choices[0].message.tool_calls[0]
out["tool_call"] = {"name": call.function.name, "arguments": call.function.arguments}
follow = client.chat.completions.create(
    model="helper",
    tools=tools,
    messages=asked
    + [first.choices[0].message.model_dump(exclude_none=True)]
    + [{"role": "tool", "tool_call_id": call.id, "content": "shipped"}],
)
out["after_tool"] = follow.choices[0].message.content

structured = client.chat.completions.create(
    model="helper",
    messages=[{"role": "user", "content": "city?"}],
    response_format={
        "type": "json_schema",
        "json_schema": {
            "name": "place",
            "schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    },
)
out["structured"] = json.loads(structured.choices[0].message.content)

response = client.chat.completions.with_raw_response.create(
    model="helper", messages=[{"role": "user", "content": "go on"}], stream=True
)
out["cancelled_run"] = response.headers.get("x-agentrpc-run-id")
cut, seen = response.parse(), 0
for chunk in cut:
    if chunk.choices and chunk.choices[0].delta.content:
        seen += 1
    if seen == 3:
        break
cut.close()  # closing the stream hangs up: the run ends cancelled

limited = openai.OpenAI(api_key="any", base_url=os.environ["LIMITED_URL"], max_retries=0)
try:
    for _ in range(3):
        limited.models.list()
except openai.RateLimitError as error:
    out["rate_limited"] = {"status": error.status_code, "retry_after": error.response.headers.get("retry-after")}

print(json.dumps(out))
