"""Run logging at the wire level: upsertBucket and file_stream as wandb-core sends them."""

from __future__ import annotations

import json
from typing import Any

from reportgen.sandbox import Sandbox

# The mutation text embedded in wandb-core 0.31.0 (also seen on the wire), trimmed to its
# selection: what the sandbox must accept and answer.
UPSERT_BUCKET = """
mutation UpsertBucket ($id: String, $name: String, $project: String, $entity: String,
  $groupName: String, $displayName: String, $config: JSONString, $jobType: String,
  $state: String, $tags: [String!], $summaryMetrics: JSONString) {
  upsertBucket(input: {id:$id,name:$name,groupName:$groupName,modelName:$project,
    entityName:$entity,displayName:$displayName,config:$config,jobType:$jobType,
    state:$state,tags:$tags,summaryMetrics:$summaryMetrics}) {
    bucket { id name displayName config project { id name entity { id name } } historyLineCount }
    inserted
  }
}
"""

RUN = """
query Run($project: String!, $entity: String!, $name: String!) {
  project(name: $project, entityName: $entity) {
    run(name: $name) { state tags group jobType displayName config summaryMetrics historyLineCount }
  }
}
"""


def _upsert(sb: Sandbox, **variables: Any) -> dict[str, Any]:
    result = sb.graphql(UPSERT_BUCKET, {"project": "p", "name": "r1", **variables})
    assert "errors" not in result.json, result.json
    return dict(result.json["data"]["upsertBucket"])


def _run(sb: Sandbox) -> dict[str, Any]:
    data = sb.graphql(RUN, {"project": "p", "entity": sb.entity, "name": "r1"}).json["data"]
    return dict(data["project"]["run"])


def _stream(sb: Sandbox, payload: dict[str, Any]) -> int:
    return sb.request("POST", f"/files/{sb.entity}/p/r1/file_stream", payload).status


def test_upsert_bucket_creates_then_updates_only_given_fields(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    first = _upsert(
        sb,
        displayName="one",
        groupName="g",
        jobType="train",
        tags=["a"],
        config='{"lr": {"value": 0.1}}',
    )
    assert first["inserted"] is True
    assert first["bucket"]["project"]["entity"]["name"] == sb.entity  # entity null -> viewer's
    second = _upsert(sb, config='{"lr": {"value": 0.2}, "bs": 8}')
    assert second["inserted"] is False
    run = _run(sb)
    assert (run["displayName"], run["group"], run["jobType"], run["tags"]) == (
        "one",
        "g",
        "train",
        ["a"],
    )
    assert json.loads(run["config"]) == {
        "lr": {"value": 0.2, "desc": None},
        "bs": {"value": 8, "desc": None},
    }
    assert run["state"] == "running"


def test_file_stream_is_idempotent_per_offset_and_completes_the_run(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    _upsert(sb)
    lines = [json.dumps({"_step": i, "acc": i / 10}) for i in range(3)]
    chunk = {"files": {"wandb-history.jsonl": {"offset": 0, "content": lines}}}
    assert _stream(sb, chunk) == 200
    assert _stream(sb, chunk) == 200  # a retry of the same chunk must not duplicate rows
    summary = {"wandb-summary.json": {"offset": 0, "content": ['{"acc": 0.2}']}}
    assert _stream(sb, {"files": summary, "complete": True, "exitcode": 1}) == 200
    run = _run(sb)
    assert run["historyLineCount"] == 3
    assert json.loads(run["summaryMetrics"]) == {"acc": 0.2}
    assert run["state"] == "failed"
    assert sb.stats()["kinds"]["file_stream"] == 3


def test_file_stream_for_an_unknown_run_is_404(fresh_sandbox: Sandbox) -> None:
    assert fresh_sandbox.request("POST", "/files/x/y/z/file_stream", {}).status == 404


def test_create_run_files_hands_out_signed_upload_urls(fresh_sandbox: Sandbox) -> None:
    sb = fresh_sandbox
    _upsert(sb)
    query = """mutation CreateRunFiles ($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
      createRunFiles(input: {entityName:$entity,projectName:$project,runName:$run,files:$files}) {
        runID uploadHeaders files { name uploadUrl } } }"""
    # wandb-core sends entity "" when WANDB_ENTITY is unset
    result = sb.graphql(
        query, {"entity": "", "project": "p", "run": "r1", "files": ["config.yaml"]}
    )
    (file,) = result.json["data"]["createRunFiles"]["files"]
    assert file["uploadUrl"].startswith(sb.base_url + "/_sandbox/files/")
    path = file["uploadUrl"][len(sb.base_url) :]
    # The signed URL is the credential, as with cloud storage: no API key needed.
    assert sb.request("PUT", path, {"a": 1}, api_key="-" * 40).status == 200
    assert sb.request("PUT", path.replace("sig=", "sig=0"), {"a": 1}).status == 403
    assert sb.stats()["operations"]["upload"] == 1
