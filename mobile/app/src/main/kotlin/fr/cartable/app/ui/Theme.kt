package fr.cartable.app.ui

import androidx.compose.material.MaterialTheme
import androidx.compose.material.Typography
import androidx.compose.material.lightColors
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.dp

/** Colours of the portal: a calm blue, and the orange tick of a validated booking. */
object Palette {
    val primary = Color(0xFF1F4E8C)
    val primaryDark = Color(0xFF163A69)
    val accepted = Color(0xFFB54708)
    val acceptedBackground = Color(0xFFFFF1E6)
    val pending = Color(0xFF8A6100)
    val pendingBackground = Color(0xFFFFF8DB)
    val refused = Color(0xFFB42318)
    val refusedBackground = Color(0xFFFDECEA)
    val muted = Color(0xFF5F6670)
    val mutedBackground = Color(0xFFF0F1F3)
    val free = Color(0xFF1F4E8C)
    val freeBackground = Color(0xFFFFFFFF)
    val offline = Color(0xFF3D3D3D)
    val border = Color(0xFFD0D5DD)
}

/** The smallest touch target (Android's and Apple's guidelines). */
val TouchTarget = 48.dp

@Composable
fun CartableTheme(content: @Composable () -> Unit) {
    MaterialTheme(
        colors = lightColors(
            primary = Palette.primary,
            primaryVariant = Palette.primaryDark,
            secondary = Palette.accepted,
            error = Palette.refused,
        ),
        typography = Typography(),
        content = content,
    )
}
