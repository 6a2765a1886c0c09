"""Documents: uploads to R2/S3, turned into chunks with embeddings by ingest."""

from lectern.core.registry import Context, PersonalData, UpkeepTask

CONTEXT = Context(
    name="documents",
    models="lectern.documents.models",
    upkeep=(UpkeepTask("uploads", "lectern.documents.upkeep:uploads_task"),),
    # A document takes its chunks with it (ON DELETE CASCADE); its object goes too.
    personal_data=(PersonalData("documents", user_column="owner_id"),),
    personal_objects=("lectern.documents.privacy:object_keys",),
    # Recorded when an upload completes (lectern.documents.events).
    server_events=("document_uploaded",),
)
