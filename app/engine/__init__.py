"""The real-time engine: arena, compiled callback, mixer, butler and backends. No Qt."""
