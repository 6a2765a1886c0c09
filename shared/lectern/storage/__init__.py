"""Object storage (R2 in production, S3 or moto elsewhere) through boto3, imported lazily."""
