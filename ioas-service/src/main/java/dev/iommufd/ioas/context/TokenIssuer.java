package dev.iommufd.ioas.context;

import dev.iommufd.contract.api.ContextToken;
import dev.iommufd.ioas.config.IoasConfig;
import io.smallrye.jwt.build.Jwt;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Signs context tokens; every service verifies them with the public key alone. */
@ApplicationScoped
public class TokenIssuer {
    @Inject
    IoasConfig config;

    public String issue(String contextId) {
        return Jwt.issuer(ContextToken.ISSUER)
                .subject(contextId)
                .expiresIn(config.tokenLifetime())
                .sign();
    }
}
