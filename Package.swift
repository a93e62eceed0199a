// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cdr-rater",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cdr-rater", targets: ["cdr-rater"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CISAL", pkgConfig: "libisal",
                       providers: [.apt(["libisal-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .target(name: "ConcurrencyHelpers",
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "RatingRules", dependencies: ["COpenSSL"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "CDRIngest", dependencies: ["RatingRules", "ConcurrencyHelpers", "CISAL"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Reports", dependencies: ["RatingRules"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Postgres", dependencies: ["CLibPQ"],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .target(name: "Billing", dependencies: ["ConcurrencyHelpers", "RatingRules", "CDRIngest", "Reports", "Postgres", .product(name: "Logging", package: "swift-log")],
                swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(name: "cdr-rater", dependencies: [
            "Billing", "ConcurrencyHelpers", "RatingRules", "Reports", "Postgres",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "ConcurrencyHelpersTests", dependencies: ["ConcurrencyHelpers"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "RatingCoreTests", dependencies: ["RatingRules", "CDRIngest", "Reports"], exclude: ["Renderings"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "BillingTests", dependencies: ["Billing", "RatingRules", "CDRIngest", "Reports", "Postgres", "ConcurrencyHelpers",
                                                  .product(name: "Logging", package: "swift-log")], exclude: ["Renderings"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(name: "IntegrationTests", dependencies: ["Billing", "Postgres", "RatingRules", "CDRIngest"],
                    swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
