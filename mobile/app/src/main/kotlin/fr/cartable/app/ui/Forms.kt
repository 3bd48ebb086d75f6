package fr.cartable.app.ui

import androidx.compose.foundation.BorderStroke
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.material.Button
import androidx.compose.material.MaterialTheme
import androidx.compose.material.OutlinedButton
import androidx.compose.material.OutlinedTextField
import androidx.compose.material.Surface
import androidx.compose.material.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.role
import androidx.compose.ui.semantics.selected
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp

/** A white card holding one part of a screen. */
@Composable
fun Panel(modifier: Modifier = Modifier, content: @Composable () -> Unit) {
    Surface(shape = RoundedCornerShape(10.dp), elevation = 1.dp, modifier = modifier.fillMaxWidth()) {
        Column(Modifier.padding(14.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) { content() }
    }
}

/** A text field with its label above the value. */
@Composable
fun Field(label: String, value: String, onChange: (String) -> Unit, hint: String? = null) {
    OutlinedTextField(
        value = value,
        onValueChange = onChange,
        label = { Text(label) },
        placeholder = hint?.let { { Text(it, color = Palette.muted) } },
        singleLine = true,
        modifier = Modifier.fillMaxWidth(),
    )
}

/** A choice that is on or off (a child, a weekday, a kind of document). */
@Composable
fun Toggle(text: String, on: Boolean, onClick: () -> Unit, description: String = text) {
    Surface(
        shape = RoundedCornerShape(24.dp),
        color = if (on) Palette.primary else Color.White,
        border = BorderStroke(1.dp, if (on) Palette.primary else Palette.border),
        modifier = Modifier
            .heightIn(min = TouchTarget)
            .widthIn(min = TouchTarget)
            .clickable(onClick = onClick)
            .semantics(mergeDescendants = true) {
                role = Role.Checkbox
                selected = on
            },
    ) {
        Box(Modifier.padding(horizontal = 14.dp), contentAlignment = Alignment.Center) {
            Text(
                if (on) "✓ $text" else text,
                color = if (on) Color.White else MaterialTheme.colors.onSurface,
                fontSize = 15.sp,
                modifier = Modifier.padding(vertical = 12.dp),
            )
        }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
fun Toggles(content: @Composable () -> Unit) {
    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        content()
    }
}

@Composable
fun MainButton(text: String, onClick: () -> Unit, enabled: Boolean = true) {
    Button(onClick = onClick, enabled = enabled, modifier = Modifier.fillMaxWidth().heightIn(min = TouchTarget)) {
        Text(text, fontSize = 16.sp)
    }
}

@Composable
fun SecondButton(text: String, onClick: () -> Unit, modifier: Modifier = Modifier.fillMaxWidth()) {
    OutlinedButton(onClick = onClick, modifier = modifier.heightIn(min = TouchTarget)) {
        Text(text, fontSize = 15.sp)
    }
}

/** An error under a form, read out when it appears. */
@Composable
fun ErrorText(text: String?) {
    text ?: return
    Text(
        text,
        color = MaterialTheme.colors.error,
        fontSize = 15.sp,
        modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite },
    )
}

/** A confirmation under a form. */
@Composable
fun DoneText(text: String?) {
    text ?: return
    Text(
        text,
        color = Palette.primaryDark,
        fontSize = 15.sp,
        fontWeight = FontWeight.Medium,
        modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite },
    )
}

/** "Libellé : valeur" on one line (or two when long). */
@Composable
fun LabelValue(label: String, value: String) {
    Column(Modifier.fillMaxWidth().semantics(mergeDescendants = true) {}) {
        Text(label, fontSize = 13.sp, color = Palette.muted)
        Text(value.ifBlank { "non renseigné" }, fontSize = 15.sp, color = if (value.isBlank()) Palette.muted else Color.Unspecified)
    }
}
