package dev.iommufd.contract.api;

/** The claims of a context token (a signed JWT issued by ioas-service, verified locally everywhere). */
public final class ContextToken {
    private ContextToken() {}

    public static final String ISSUER = "iommufd";
    // The context id is the token's subject ("sub").
}
