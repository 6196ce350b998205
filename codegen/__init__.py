"""The code generator: Kafka's JSON message specs (kafka_messages_json/) -> generated/.

Pipeline: load (json) -> spec (pydantic models) -> validate (Kafka's generator rules) ->
model (every name, type, default and per-version plan) -> render (jinja2 + black) ->
generate (all files in memory) -> __main__ (write or --check). update_specs vendors new
specs from Maven. Never imported by the runtime (aiokafka_gen).
"""
