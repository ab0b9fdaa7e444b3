"""Fivetran Recovery core: the package every Lambda function imports (deployed as the layer)."""
